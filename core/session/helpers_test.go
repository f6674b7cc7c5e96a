package session

import (
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

// call is one recorded Out call; slices are copies.
type call struct {
	Kind                 string
	Peer                 PeerID
	Msg                  wire.Message
	Piece, Begin, Length int
	Data                 []byte
	Err                  error
	ExtID                uint8
}

// fakeOut records every call the session makes.
type fakeOut struct{ calls []call }

func cloneMsg(m *wire.Message) wire.Message {
	c := *m
	c.Block = append([]byte(nil), m.Block...)
	c.Bitfield = append([]byte(nil), m.Bitfield...)
	c.Payload = append([]byte(nil), m.Payload...)
	return c
}

func (f *fakeOut) Send(p PeerID, m *wire.Message) {
	f.calls = append(f.calls, call{Kind: "send", Peer: p, Msg: cloneMsg(m)})
}
func (f *fakeOut) SendBlock(p PeerID, piece, begin, length int) {
	f.calls = append(f.calls, call{Kind: "sendblock", Peer: p, Piece: piece, Begin: begin, Length: length})
}
func (f *fakeOut) WriteBlock(piece, begin int, data []byte) {
	f.calls = append(f.calls, call{Kind: "write", Piece: piece, Begin: begin, Length: len(data), Data: append([]byte(nil), data...)})
}
func (f *fakeOut) HashPiece(piece int) { f.calls = append(f.calls, call{Kind: "hash", Piece: piece}) }
func (f *fakeOut) ClosePeer(p PeerID, reason error) {
	f.calls = append(f.calls, call{Kind: "close", Peer: p, Err: reason})
}
func (f *fakeOut) Extended(p PeerID, extID uint8, payload []byte) {
	f.calls = append(f.calls, call{Kind: "ext", Peer: p, ExtID: extID, Data: append([]byte(nil), payload...)})
}
func (f *fakeOut) Completed() { f.calls = append(f.calls, call{Kind: "completed"}) }

// reset forgets the calls recorded so far.
func (f *fakeOut) reset() { f.calls = f.calls[:0] }

func (f *fakeOut) kinds(kind string) []call {
	var out []call
	for _, c := range f.calls {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// sent returns the messages of type t sent to p.
func (f *fakeOut) sent(p PeerID, t wire.MsgType) []wire.Message {
	var out []wire.Message
	for _, c := range f.calls {
		if c.Kind == "send" && c.Peer == p && !c.Msg.KeepAlive && c.Msg.Type == t {
			out = append(out, c.Msg)
		}
	}
	return out
}

// sentTypes lists the types of messages sent to p, in order.
func (f *fakeOut) sentTypes(p PeerID) []wire.MsgType {
	var out []wire.MsgType
	for _, c := range f.calls {
		if c.Kind == "send" && c.Peer == p {
			out = append(out, c.Msg.Type)
		}
	}
	return out
}

func (f *fakeOut) closed(p PeerID) error {
	for _, c := range f.calls {
		if c.Kind == "close" && c.Peer == p {
			return c.Err
		}
	}
	return nil
}

// queueOut is a fakeOut that also queues blocks like an engine would.
type queueOut struct {
	fakeOut
	queued map[PeerID][]picker.Block
}

func (q *queueOut) SendBlock(p PeerID, piece, begin, length int) {
	q.fakeOut.SendBlock(p, piece, begin, length)
	if q.queued == nil {
		q.queued = map[PeerID][]picker.Block{}
	}
	q.queued[p] = append(q.queued[p], picker.Block{Piece: piece, Begin: begin, Length: length})
}
func (q *queueOut) QueuedBlocks(p PeerID) int { return len(q.queued[p]) }
func (q *queueOut) CancelBlock(p PeerID, piece, begin, length int) bool {
	b := picker.Block{Piece: piece, Begin: begin, Length: length}
	for i, x := range q.queued[p] {
		if x == b {
			q.queued[p] = append(q.queued[p][:i], q.queued[p][i+1:]...)
			return true
		}
	}
	return false
}
func (q *queueOut) DropBlocks(p PeerID, dst []picker.Block) []picker.Block {
	dst = append(dst, q.queued[p]...)
	delete(q.queued, p)
	return dst
}

// testData returns deterministic content and an Info describing it.
func testData(numPieces int, pieceLen int64, short int64) (*metainfo.Info, []byte) {
	total := int64(numPieces)*pieceLen - short
	data := make([]byte, total)
	var seed [32]byte
	seed[0] = byte(total)
	_, _ = rand.NewChaCha8(seed).Read(data)
	info := &metainfo.Info{Name: "test", PieceLength: pieceLen, Length: total}
	for i := 0; i < numPieces; i++ {
		end := min(int64(i+1)*pieceLen, total)
		info.Pieces = append(info.Pieces, sha1.Sum(data[int64(i)*pieceLen:end]))
	}
	info.Files = []metainfo.File{{Path: []string{"test"}, Length: total}}
	return info, data
}

type harness struct {
	t    *testing.T
	s    *Session
	out  *fakeOut
	info *metainfo.Info
	data []byte
	now  time.Time
}

// hashedBad reports piece as failed, with the block sums of what the
// session wrote for it (as the engine's hasher computes them from disk).
func (h *harness) hashedBad(piece int) {
	buf := make([]byte, h.info.PieceSize(piece))
	for _, c := range h.out.kinds("write") {
		if c.Piece == piece {
			copy(buf[c.Begin:], c.Data)
		}
	}
	h.s.PieceHashed(piece, false, h.s.BlockSums(buf, nil), h.now)
}

// hashResult reports the hash of data (the piece as stored) the way the
// engine does: block sums only when it fails.
func hashResult(s *Session, info *metainfo.Info, piece int, data []byte, now time.Time) {
	if sha1.Sum(data) == info.Pieces[piece] {
		s.PieceHashed(piece, true, nil, now)
		return
	}
	s.PieceHashed(piece, false, s.BlockSums(data, nil), now)
}

func newHarness(t *testing.T, numPieces int, pieceLen int64, have *bitfield.Bitfield, cfg Config) *harness {
	t.Helper()
	info, data := testData(numPieces, pieceLen, 0)
	out := &fakeOut{}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(3, 4))
	}
	return &harness{t: t, s: New(info, have, cfg, out, t0), out: out, info: info, data: data, now: t0}
}

func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }

func (h *harness) add(id PeerID, fast, ext bool) {
	h.s.AddPeer(id, PeerInfo{Addr: addrOf(id), Fast: fast, Extended: ext, Transport: "tcp"}, h.now)
}

func addrOf(id PeerID) string { return fmt.Sprintf("10.0.%d.%d:6881", id/256, id%256) }

func (h *harness) msg(id PeerID, m wire.Message) { h.s.Message(id, &m, h.now) }

func (h *harness) typ(id PeerID, t wire.MsgType) { h.msg(id, wire.Message{Type: t}) }

func (h *harness) have(id PeerID, i int) { h.msg(id, wire.Message{Type: wire.Have, Index: uint32(i)}) }

// seedPeer adds a peer that has everything and unchokes us.
func (h *harness) seedPeer(id PeerID, fast bool) {
	h.add(id, fast, false)
	bf := bitfield.New(h.info.NumPieces())
	bf.SetAll()
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: bf.Bytes()})
	h.typ(id, wire.Unchoke)
}

// partialPeer adds a peer that has only the given pieces and unchokes us.
func (h *harness) partialPeer(id PeerID, fast bool, pieces ...int) {
	h.add(id, fast, false)
	bf := bitfield.New(h.info.NumPieces())
	for _, i := range pieces {
		bf.Set(i)
	}
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: bf.Bytes()})
	h.typ(id, wire.Unchoke)
}

// bystander adds a peer that has everything but never unchokes us, so the
// swarm is not in endgame.
func (h *harness) bystander(id PeerID) {
	h.add(id, false, false)
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: fullHave(h.info.NumPieces()).Bytes()})
}

// block sends the real data of a block from peer id.
func (h *harness) block(id PeerID, b picker.Block) {
	off := h.info.PieceOffset(b.Piece) + int64(b.Begin)
	h.msg(id, wire.Message{Type: wire.Piece, Index: uint32(b.Piece), Begin: uint32(b.Begin),
		Block: h.data[off : off+int64(b.Length)], Length: uint32(b.Length)})
}

// requests returns the blocks currently outstanding with p, per the
// session's bookkeeping.
func (h *harness) outstanding(id PeerID) []picker.Block {
	p := h.s.peers[id]
	require.NotNil(h.t, p)
	var out []picker.Block
	for _, r := range p.reqs {
		out = append(out, r.b)
	}
	return out
}

func reqBlocks(ms []wire.Message) []picker.Block {
	var out []picker.Block
	for _, m := range ms {
		out = append(out, picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)})
	}
	return out
}

func (h *harness) peerStats(id PeerID) PeerStats {
	for _, ps := range h.s.Peers(h.now) {
		if ps.ID == id {
			return ps
		}
	}
	h.t.Fatalf("peer %d not found", id)
	return PeerStats{}
}

func fullHave(n int) *bitfield.Bitfield {
	bf := bitfield.New(n)
	bf.SetAll()
	return bf
}
