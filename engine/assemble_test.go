package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// countingStorage counts reads and fails those that touch [badFrom, badTo).
type countingStorage struct {
	persist.Storage
	reads          int
	badFrom, badTo int64
}

func (s *countingStorage) ReadAt(p []byte, off int64) (int, error) {
	s.reads++
	if off < s.badTo && off+int64(len(p)) > s.badFrom {
		return 0, errors.New("gone")
	}
	return s.Storage.ReadAt(p, off)
}

// A batch's blocks that follow each other in a piece are read with one
// call and sent as they were asked; when that read fails the run is read
// block by block, so only the blocks whose data is gone are held back
// (and the loop is told which piece to check).
func TestAssembleReadsRunsOnce(t *testing.T) {
	t.Run("copy", func(t *testing.T) { testAssembleRuns(t, false) })
	t.Run("vectored", func(t *testing.T) { testAssembleRuns(t, true) })
}

// vectorCounting is countingStorage with vectored reads, counted apart.
type vectorCounting struct {
	*countingStorage
	vreads int
}

func (s *vectorCounting) ReadVAt(bufs [][]byte, off int64) (int, error) {
	s.vreads++
	var n int
	for _, b := range bufs {
		if off < s.badTo && off+int64(len(b)) > s.badFrom {
			return n, errors.New("gone")
		}
		m, err := s.Storage.ReadAt(b, off)
		n += m
		off += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *vectorCounting) WriteVAt([][]byte, int64) (int, error) { panic("not for uploads") }

func testAssembleRuns(t *testing.T, vectored bool) {
	const pieceLen, bs = 4 * wire.BlockSize, wire.BlockSize
	content := make([]byte, 3*pieceLen)
	rng := rand.NewChaCha8([32]byte{7})
	_, _ = rng.Read(content)
	mem := persist.NewMemory(int64(len(content)))
	_, err := mem.WriteAt(content, 0)
	require.NoError(t, err)
	st := &countingStorage{Storage: mem, badFrom: -1, badTo: -1}
	tor := bareTorrent(t, 1)
	tor.info = &metainfo.Info{PieceLength: pieceLen, Length: int64(len(content)), Pieces: make([][20]byte, 3)}
	tor.storage = st
	var vs *vectorCounting
	if vectored {
		vs = &vectorCounting{countingStorage: st}
		tor.storage = vs
	}
	runReads := func() int { // calls that read the runs
		if vectored {
			return vs.vreads
		}
		return st.reads - 3
	}
	p := &peerConn{t: tor, addr: "10.0.0.1:1"}

	blocks := []queuedBlock{
		{0, 0, bs}, {0, bs, bs}, {0, 2 * bs, bs}, // one run
		{2, bs, bs},                      // alone
		{1, 3 * bs, bs}, {1, 2 * bs, bs}, // out of order: two reads
		{2, 2 * bs, bs}, {2, 3 * bs, bs}, // one run
	}
	parse := func(b []byte) []queuedBlock {
		var got []queuedBlock
		for len(b) > 0 {
			n := 4 + int(binary.BigEndian.Uint32(b))
			m, err := wire.ParseMessage(b[4:n])
			require.NoError(t, err)
			require.Equal(t, wire.Piece, m.Type)
			off := int(m.Index)*pieceLen + int(m.Begin)
			require.True(t, bytes.Equal(content[off:off+len(m.Block)], m.Block), "block %d/%d", m.Index, m.Begin)
			got = append(got, queuedBlock{int(m.Index), int(m.Begin), len(m.Block)})
			b = b[n:]
		}
		return got
	}
	_, data, err := p.assemble(nil, nil, nil, blocks)
	require.NoError(t, err)
	require.Equal(t, blocks, parse(data))
	require.Equal(t, 2, runReads(), "runs of three and two blocks, one call each")
	if vectored {
		require.Equal(t, 3, st.reads, "the three blocks without a neighbour")
	}

	// Piece 2's third block is gone: its run falls back to block by block.
	st.reads, st.badFrom, st.badTo = 0, 2*pieceLen+2*bs, 2*pieceLen+3*bs
	if vectored {
		vs.vreads = 0
	}
	_, data, err = p.assemble(nil, nil, nil, blocks)
	require.NoError(t, err)
	want := append(append([]queuedBlock(nil), blocks[:6]...), blocks[7])
	require.Equal(t, want, parse(data))
	if vectored {
		require.Equal(t, 2, vs.vreads)
		require.Equal(t, 3+2, st.reads, "singles, then the failed run block by block")
	} else {
		require.Equal(t, 5+2, st.reads)
	}
	select {
	case ev := <-tor.events:
		require.Equal(t, 2, ev.(evUploadReadFailed).piece)
	default:
		t.Fatal("the loop was not told of the unreadable piece")
	}
}
