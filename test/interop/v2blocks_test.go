package interop

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
)

// TestLibtorrentAsksBraidForBlockHashes: libtorrent 2.0 downloads a
// v2-only torrent from `braid seed` and from a seeder that corrupts the
// second block of every piece it sends and then leaves. libtorrent's
// failed pieces make it ask for their block hashes (hash requests at base
// layer 0), which only Braid can answer: Braid hashes the pieces and
// answers, and libtorrent completes byte for byte. Without Braid's
// answers the count of base-layer hashes is zero and the test fails.
func TestLibtorrentAsksBraidForBlockHashes(t *testing.T) {
	parallel(t)
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	s := v2Setup(t, c, "v2", viaPeer, 32*kib) // two blocks a piece
	b := startBraid(t, "braid-seed", "seed", s.torrent, braidOpts{dir: s.seedDir, stateDir: filepath.Join(s.work, "state")})
	waitBraidSeeding(t, b, c.total, 60*time.Second)
	relay := newHashCountingRelay(t, braidAddr(t, b))
	bad := newCorruptSeeder(t, s.torrent, s.seedDir, 96)

	dlDir := filepath.Join(s.work, "dl")
	lt := startLeecher(t, libtorrent, s.torrent, dlDir, peerOpts{dial: []string{bad.addr, relay.addr}})
	recordTiming(t, "libtorrent with a corrupting seeder, block hashes from braid", lt.waitComplete(t, downloadTimeout(libtorrent)))
	c.requireMatch(t, "libtorrent", dlDir)
	t.Logf("corrupting seeder sent %d blocks (%d corrupt), got %d hash requests; braid sent %d hashes messages (%d of block hashes), %d rejects",
		bad.served.Load(), bad.corrupt.Load(), bad.hashReqs.Load(), relay.hashes.Load(), relay.blockHashes.Load(), relay.rejects.Load())
	require.Positive(t, bad.corrupt.Load(), "libtorrent took no block from the corrupting seeder: the test proves nothing")
	require.Positive(t, relay.blockHashes.Load(), "libtorrent got block hashes (base layer 0) from braid")
}

// corruptSeeder is a v2 peer that has every piece, unchokes, flips a
// byte in the second block of each piece it sends, and after sending
// limit blocks closes its connection and stops listening. Hash requests
// it never answers. MSE connections are closed (libtorrent then dials
// in plaintext).
type corruptSeeder struct {
	addr                      string
	served, corrupt, hashReqs atomic.Int64
	ln                        net.Listener
	stream                    []byte
	ih                        [20]byte
	numPieces                 int
	limit                     int64
	once                      sync.Once
	info                      *metainfo.Info
}

func newCorruptSeeder(t *testing.T, torrent, seedDir string, limit int64) *corruptSeeder {
	t.Helper()
	data, err := os.ReadFile(torrent)
	require.NoError(t, err)
	m, err := metainfo.Parse(data)
	require.NoError(t, err)
	stream := make([]byte, m.Info.Length)
	for _, f := range m.Info.FilesV2 {
		b, err := os.ReadFile(filepath.Join(append([]string{seedDir, m.Info.Name}, f.Path...)...))
		require.NoError(t, err)
		require.Equal(t, f.Length, int64(len(b)))
		copy(stream[f.Offset:], b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &corruptSeeder{addr: ln.Addr().String(), ln: ln, stream: stream, ih: m.ShortInfoHashV2(),
		numPieces: m.Info.NumPieces(), limit: limit, info: m.Info}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *corruptSeeder) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	hs := make([]byte, wire.HandshakeLen)
	if _, err := io.ReadFull(c, hs); err != nil || hs[0] != 19 || string(hs[1:20]) != "BitTorrent protocol" {
		return
	}
	theirs, err := wire.ParseHandshake(hs)
	if err != nil || theirs.InfoHash != s.ih {
		return
	}
	ours := wire.Handshake{InfoHash: s.ih, PeerID: [20]byte{'-', 'X', 'X', '0', '0', '0', '0', '-', 'c', 'o', 'r', 'r', 'u', 'p', 't'}}
	all := bitfield.New(s.numPieces)
	all.SetAll()
	out := ours.Append(nil)
	out = wire.AppendMessage(out, &wire.Message{Type: wire.Bitfield, Bitfield: all.Bytes()})
	out = wire.AppendMessage(out, &wire.Message{Type: wire.Unchoke})
	if _, err := c.Write(out); err != nil {
		return
	}
	var buf []byte
	for {
		var m wire.Message
		m, buf, err = wire.ReadMessage(c, buf, wire.DefaultLimits(0))
		if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
			return
		}
		switch m.Type {
		case wire.HashRequest:
			s.hashReqs.Add(1)
		case wire.Request:
			if m.KeepAlive || int(m.Index) >= s.numPieces {
				continue
			}
			off := s.info.PieceOffset(int(m.Index)) + int64(m.Begin)
			if off+int64(m.Length) > int64(len(s.stream)) {
				return
			}
			blk := append([]byte(nil), s.stream[off:off+int64(m.Length)]...)
			if m.Begin == wire.BlockSize {
				blk[len(blk)/2] ^= 0x5a
				s.corrupt.Add(1)
			}
			if _, err := c.Write(wire.AppendMessage(nil, &wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: blk})); err != nil {
				return
			}
			if s.served.Add(1) >= s.limit {
				s.once.Do(func() { s.ln.Close() })
				return // and leave: only braid can tell libtorrent which block was bad
			}
		}
	}
}
