package session

import (
	"runtime"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nopOut is an engine that does nothing but remember pieces to hash.
type nopOut struct{ hashed []int }

func (*nopOut) Send(PeerID, *wire.Message)      {}
func (*nopOut) SendBlock(PeerID, int, int, int) {}
func (*nopOut) WriteBlock(int, int, []byte)     {}
func (o *nopOut) HashPiece(piece int)           { o.hashed = append(o.hashed, piece) }
func (*nopOut) ClosePeer(PeerID, error)         {}
func (*nopOut) Extended(PeerID, uint8, []byte)  {}
func (*nopOut) Completed()                      {}

// blockLoop builds a session downloading a large torrent from one fast
// seed and returns a function that delivers the oldest outstanding block
// (and reports verified the pieces it completes). When the torrent is
// complete it starts over with a fresh session.
func blockLoop(tb testing.TB) func() {
	const pieces, pieceLen = 4096, 256 << 10
	info := &metainfo.Info{Name: "big", PieceLength: pieceLen, Length: pieces * pieceLen,
		Pieces: make([][20]byte, pieces)}
	info.Files = []metainfo.File{{Path: []string{"big"}, Length: info.Length}}
	out := &nopOut{hashed: make([]int, 0, 16)}
	var (
		s   *Session
		p   *peer
		now = t0
		m   wire.Message
	)
	start := func() {
		s = New(info, nil, Config{}, out, now)
		s.AddPeer(1, PeerInfo{Addr: "1.2.3.4:5", Fast: true}, now)
		s.Message(1, &wire.Message{Type: wire.HaveAll}, now)
		p = s.peers[1]
		p.down.value = 100 << 20 // deep pipeline
		s.Message(1, &wire.Message{Type: wire.Unchoke}, now)
		require.Len(tb, p.reqs, DefaultPeerReqQ)
	}
	start()
	data := make([]byte, wire.BlockSize)
	return func() {
		if len(p.reqs) == 0 {
			start()
		}
		r := p.reqs[0].b
		m = wire.Message{Type: wire.Piece, Index: uint32(r.Piece), Begin: uint32(r.Begin), Block: data[:r.Length]}
		now = now.Add(time.Millisecond)
		s.Message(1, &m, now)
		for _, piece := range out.hashed {
			s.PieceHashed(piece, true, nil, now)
		}
		out.hashed = out.hashed[:0]
	}
}

// TestReceiveBlockAllocs: handling a received block, refilling the
// pipeline and verifying pieces allocates nothing once warm.
func TestReceiveBlockAllocs(t *testing.T) {
	step := blockLoop(t)
	for range 2000 { // warm up: pools, scratch slices, host records
		step()
	}
	assert.Zero(t, testing.AllocsPerRun(2000, step))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4000 {
		step()
	}
	runtime.ReadMemStats(&after)
	assert.LessOrEqual(t, after.Mallocs-before.Mallocs, uint64(20), "4000 blocks, 250 pieces")
}

func BenchmarkReceiveBlock(b *testing.B) {
	step := blockLoop(b)
	b.ReportAllocs()
	b.SetBytes(wire.BlockSize)
	for b.Loop() {
		step()
	}
}
