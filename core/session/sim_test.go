package session

import (
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The swarm simulation connects sessions through an in-memory network
// with latency and per-node upload bandwidth, a simulated clock, storage in
// byte slices and real SHA-1 verification. Every message but blocks is
// encoded and parsed with the wire codec, as the engine would.

type simEvent struct {
	at  time.Time
	seq int
	fn  func()
}

type eventQueue []*simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type simConfig struct {
	nodes      int // node 0 is the seeder
	pieces     int
	pieceLen   int64
	short      int64         // bytes missing from the last piece
	latency    time.Duration // one way
	upRate     float64       // bytes/s per node
	corrupt    int           // index of a node that corrupts what it uploads; 0 = none
	session    Config
	checkEvery bool // check the unchoke limit after every event, not only at ticks
	plainOut   bool // hide the UploadQueue: every SendBlock is final
	limit      time.Duration
}

type simNet struct {
	t      *testing.T
	cfg    simConfig
	now    time.Time
	q      eventQueue
	seq    int
	info   *metainfo.Info
	data   []byte
	nodes  []*simNode
	alive  [][]bool // alive[a][b]: a still talks to b
	events int
	bans   []simBan
	maxUnc int
}

type simBan struct{ by, banned int }

type simNode struct {
	net       *simNet
	idx       int
	s         *Session
	store     []byte
	queue     []simItem // blocks
	msgs      []simItem // other messages
	busy      bool
	queued    map[PeerID]int // blocks in queue per peer
	doneAt    time.Time
	completed int
	written   int64
}

func newSim(t *testing.T, cfg simConfig) *simNet {
	info, data := testData(cfg.pieces, cfg.pieceLen, cfg.short)
	n := &simNet{t: t, cfg: cfg, now: t0, info: info, data: data}
	eh := wire.ExtHandshake{V: "sim", ReqQ: 500}
	for i := 0; i < cfg.nodes; i++ {
		node := &simNode{net: n, idx: i, store: make([]byte, len(data)), queued: map[PeerID]int{}}
		var have *bitfield.Bitfield
		if i == 0 {
			have = fullHave(cfg.pieces)
			copy(node.store, data)
		}
		sc := cfg.session
		sc.ExtHandshake = eh.Encode()
		sc.Rand = rand.New(rand.NewPCG(uint64(i), 99))
		node.s = New(info, have, sc, node, t0)
		if cfg.plainOut {
			node.s.uq = nil
		}
		n.nodes = append(n.nodes, node)
		n.alive = append(n.alive, make([]bool, cfg.nodes))
	}
	// Everyone connects to everyone, staggered a little.
	for i := 0; i < cfg.nodes; i++ {
		for j := i + 1; j < cfg.nodes; j++ {
			i, j := i, j
			fast := (i+j)%3 != 0 // a third of the connections without BEP 6
			n.at(time.Duration(i*10+j)*time.Millisecond, func() {
				n.alive[i][j], n.alive[j][i] = true, true
				n.nodes[i].s.AddPeer(PeerID(j+1), n.peerInfo(j, fast, true), n.now)
				n.nodes[j].s.AddPeer(PeerID(i+1), n.peerInfo(i, fast, false), n.now)
			})
		}
	}
	for i := range n.nodes {
		node := n.nodes[i]
		var tick func()
		tick = func() {
			node.s.Tick(n.now)
			n.checkUnchoked(node)
			n.at(time.Second, tick)
		}
		n.at(time.Second+time.Duration(i)*7*time.Millisecond, tick)
	}
	return n
}

func (n *simNet) peerInfo(idx int, fast, outgoing bool) PeerInfo {
	return PeerInfo{Addr: fmt.Sprintf("10.1.%d.%d:6881", idx/256, idx%256), Fast: fast, Extended: true,
		Outgoing: outgoing, Transport: "sim"}
}

func (n *simNet) at(d time.Duration, fn func()) {
	n.seq++
	heap.Push(&n.q, &simEvent{at: n.now.Add(d), seq: n.seq, fn: fn})
}

func (n *simNet) checkUnchoked(node *simNode) {
	c := 0
	for _, p := range node.s.order {
		if !p.amChoking {
			c++
		}
	}
	n.maxUnc = max(n.maxUnc, c)
	require.LessOrEqual(n.t, c, node.s.cfg.UploadSlots+1, "node %d unchokes too many", node.idx)
}

// simItem is one message or block waiting for a node's uplink.
type simItem struct {
	to    PeerID
	buf   []byte        // encoded message, or nil for a block
	block *picker.Block // read from storage when its turn comes
}

// enqueue queues an item on the node's uplink, which sends one item at a
// time at upRate; each arrives latency later. Messages go ahead of queued
// blocks (as a good engine does, so requests are not stuck behind seconds
// of data); messages keep their order, and so do blocks.
func (node *simNode) enqueue(it simItem) {
	if it.block != nil {
		node.queue = append(node.queue, it)
	} else {
		node.msgs = append(node.msgs, it)
	}
	if !node.busy {
		node.pump()
	}
}

func (node *simNode) pump() {
	n := node.net
	var it simItem
	switch {
	case len(node.msgs) > 0:
		it = node.msgs[0]
		node.msgs = node.msgs[1:]
	case len(node.queue) > 0:
		it = node.queue[0]
		node.queue = node.queue[1:]
	default:
		node.busy = false
		return
	}
	node.busy = true
	var m wire.Message
	size := len(it.buf)
	if b := it.block; b != nil {
		// Verified data never changes, so the block can travel as a view
		// of the sender's storage (copied only to corrupt it).
		node.queued[it.to]--
		off := n.info.PieceOffset(b.Piece) + int64(b.Begin)
		data := node.store[off : off+int64(b.Length)]
		if n.cfg.corrupt > 0 && node.idx == n.cfg.corrupt {
			data = append([]byte(nil), data...)
			data[len(data)/3] ^= 0xa5
		}
		m = wire.Message{Type: wire.Piece, Index: uint32(b.Piece), Begin: uint32(b.Begin), Block: data}
		size = wire.PieceHeaderLen + b.Length
	} else {
		var err error
		m, err = wire.ParseMessage(it.buf[4:])
		require.NoError(n.t, err)
	}
	dst := int(it.to) - 1
	n.at(time.Duration(float64(size)/n.cfg.upRate*float64(time.Second)), func() {
		n.at(n.cfg.latency, func() {
			if !n.alive[node.idx][dst] || !n.alive[dst][node.idx] {
				return
			}
			n.nodes[dst].s.Message(PeerID(node.idx+1), &m, n.now)
		})
		node.pump()
	})
}

func (node *simNode) Send(p PeerID, m *wire.Message) {
	node.enqueue(simItem{to: p, buf: wire.AppendMessage(nil, m)})
}

func (node *simNode) SendBlock(p PeerID, piece, begin, length int) {
	require.True(node.net.t, node.s.Have().Has(piece), "node %d serves piece %d it does not have", node.idx, piece)
	node.queued[p]++
	node.enqueue(simItem{to: p, block: &picker.Block{Piece: piece, Begin: begin, Length: length}})
}

// The sim's uplink is an UploadQueue: blocks not yet sent can be dropped.

func (node *simNode) QueuedBlocks(p PeerID) int { return node.queued[p] }

func (node *simNode) CancelBlock(p PeerID, piece, begin, length int) bool {
	want := picker.Block{Piece: piece, Begin: begin, Length: length}
	for i, it := range node.queue {
		if it.block != nil && it.to == p && *it.block == want {
			node.queue = append(node.queue[:i], node.queue[i+1:]...)
			node.queued[p]--
			return true
		}
	}
	return false
}

func (node *simNode) DropBlocks(p PeerID, dst []picker.Block) []picker.Block {
	keep := node.queue[:0]
	for _, it := range node.queue {
		if it.block != nil && it.to == p {
			dst = append(dst, *it.block)
		} else {
			keep = append(keep, it)
		}
	}
	node.queue = keep
	node.queued[p] = 0
	return dst
}

func (node *simNode) WriteBlock(piece, begin int, data []byte) {
	off := node.net.info.PieceOffset(piece) + int64(begin)
	copy(node.store[off:], data)
	node.written += int64(len(data))
}

func (node *simNode) HashPiece(piece int) {
	n := node.net
	n.at(time.Millisecond, func() {
		off := n.info.PieceOffset(piece)
		hashResult(node.s, n.info, piece, node.store[off:off+n.info.PieceSize(piece)], n.now)
	})
}

func (node *simNode) ClosePeer(p PeerID, reason error) {
	n := node.net
	other := int(p) - 1
	n.alive[node.idx][other] = false
	if errors.Is(reason, ErrBanned) {
		n.bans = append(n.bans, simBan{by: node.idx, banned: other})
	}
	n.at(n.cfg.latency, func() {
		n.alive[other][node.idx] = false
		n.nodes[other].s.RemovePeer(PeerID(node.idx+1), n.now)
	})
}

func (node *simNode) Extended(PeerID, uint8, []byte) {}

func (node *simNode) Completed() {
	node.completed++
	node.doneAt = node.net.now
}

// run processes events until every node has completed, or the simulated
// time limit passes.
func (n *simNet) run() {
	deadline := t0.Add(n.cfg.limit)
	for n.q.Len() > 0 && !n.allDone() && n.now.Before(deadline) {
		e := heap.Pop(&n.q).(*simEvent)
		n.now = e.at
		e.fn()
		n.events++
		if n.cfg.checkEvery {
			for _, node := range n.nodes {
				n.checkUnchoked(node)
			}
		}
	}
}

func (n *simNet) allDone() bool {
	for _, node := range n.nodes[1:] {
		if !node.s.Complete() {
			return false
		}
	}
	return true
}

func (n *simNet) requireAllCorrect() {
	for _, node := range n.nodes[1:] {
		require.True(n.t, node.s.Complete(), "node %d incomplete: %d/%d pieces", node.idx, node.s.Have().Count(), n.cfg.pieces)
		require.True(n.t, bytes.Equal(n.data, node.store), "node %d has wrong data", node.idx)
		require.Equal(n.t, 1, node.completed, "node %d: Completed once", node.idx)
		st := node.s.Stats(n.now)
		require.Equal(n.t, int64(0), st.Left)
		require.Equal(n.t, n.cfg.pieces, st.PiecesHave)
	}
}

func TestSwarm(t *testing.T) {
	n := newSim(t, simConfig{
		nodes: 7, pieces: 64, pieceLen: 64 << 10, short: 5000,
		latency: 20 * time.Millisecond, upRate: 1 << 20,
		checkEvery: true, limit: time.Hour,
	})
	n.run()
	n.requireAllCorrect()
	assert.Empty(t, n.bans)
	assert.Equal(t, DefaultUploadSlots+1, n.maxUnc, "slots were used, never exceeded")
	var leechersUp int64
	for _, node := range n.nodes[1:] {
		st := node.s.Stats(n.now)
		assert.Zero(t, st.HashFails)
		assert.Equal(t, n.info.Length, node.written, "node %d writes each byte once", node.idx)
		leechersUp += st.Uploaded
	}
	// Leechers traded among themselves more than the seeder gave.
	assert.Greater(t, leechersUp, n.nodes[0].s.Stats(n.now).Uploaded)
	// With six leechers sharing 1 MiB/s uplinks, the swarm beats the
	// seeder alone (6 × 4 MiB at 1 MiB/s = 24 s).
	last := t0
	for _, node := range n.nodes[1:] {
		if node.doneAt.After(last) {
			last = node.doneAt
		}
	}
	t.Logf("swarm done after %v simulated, %d events", last.Sub(t0), n.events)
	assert.Less(t, last.Sub(t0), 20*time.Second)
}

func TestSwarmBansCorruptPeer(t *testing.T) {
	const bad = 3
	n := newSim(t, simConfig{
		nodes: 7, pieces: 64, pieceLen: 64 << 10, short: 5000,
		latency: 20 * time.Millisecond, upRate: 1 << 20, corrupt: bad,
		checkEvery: true, plainOut: true, limit: time.Hour,
	})
	n.run()
	for _, node := range n.nodes[1:] {
		if node.idx != bad {
			require.True(t, node.s.Complete(), "node %d", node.idx)
			require.True(t, bytes.Equal(n.data, node.store), "node %d has wrong data", node.idx)
		}
	}
	require.NotEmpty(t, n.bans)
	banners := map[int]bool{}
	fails := 0
	for _, b := range n.bans {
		assert.Equal(t, bad, b.banned, "only the corrupt peer is banned (node %d banned %d)", b.by, b.banned)
		banners[b.by] = true
	}
	for _, node := range n.nodes[1:] {
		fails += node.s.Stats(n.now).HashFails
	}
	// The bad node completes too: the seeder never bans an uploader.
	assert.True(t, n.nodes[bad].s.Complete())
	t.Logf("%d nodes banned the corrupt peer after %d hash failures in all", len(banners), fails)
	assert.Less(t, fails, 64)
}

func TestSwarm50(t *testing.T) {
	start := time.Now()
	n := newSim(t, simConfig{
		nodes: 50, pieces: 64, pieceLen: 16 << 10,
		latency: 10 * time.Millisecond, upRate: 512 << 10, limit: time.Hour,
	})
	n.run()
	n.requireAllCorrect()
	assert.Empty(t, n.bans)
	assert.LessOrEqual(t, n.maxUnc, DefaultUploadSlots+1)
	t.Logf("50 peers: %d events, %v simulated, %v real", n.events, n.now.Sub(t0), time.Since(start))
}

func BenchmarkSwarm50(b *testing.B) {
	for b.Loop() {
		t := &testing.T{}
		n := newSim(t, simConfig{
			nodes: 50, pieces: 64, pieceLen: 16 << 10,
			latency: 10 * time.Millisecond, upRate: 512 << 10, limit: time.Hour,
		})
		n.run()
		if !n.allDone() {
			b.Fatal("swarm did not complete")
		}
	}
}
