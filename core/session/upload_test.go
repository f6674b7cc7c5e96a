package session

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func reqMsg(i, b, l int) wire.Message {
	return wire.Message{Type: wire.Request, Index: uint32(i), Begin: uint32(b), Length: uint32(l)}
}

func TestServeRequests(t *testing.T) {
	// 4 pieces of 32 KiB, the last one 10000 bytes short.
	info, _ := testData(4, 32<<10, 10000)
	out := &fakeOut{}
	s := New(info, fullHave(4), Config{}, out, t0)
	s.AddPeer(1, PeerInfo{Addr: "1.1.1.1:1", Fast: true}, t0)
	s.Message(1, &wire.Message{Type: wire.HaveNone}, t0)
	s.Message(1, &wire.Message{Type: wire.Interested}, t0)
	require.Len(t, out.sent(1, wire.Unchoke), 1)

	for _, m := range []wire.Message{reqMsg(0, 0, 16384), reqMsg(3, 16384, 32768-10000-16384), reqMsg(1, 100, 3)} {
		s.Message(1, &m, t0)
	}
	got := out.kinds("sendblock")
	require.Len(t, got, 3)
	assert.Equal(t, call{Kind: "sendblock", Peer: 1, Piece: 0, Begin: 0, Length: 16384}, got[0])
	assert.Equal(t, call{Kind: "sendblock", Peer: 1, Piece: 3, Begin: 16384, Length: 32768 - 10000 - 16384}, got[1])
	assert.Equal(t, 1, got[2].Piece)
	want := int64(16384 + 32768 - 10000 - 16384 + 3)
	assert.Equal(t, want, s.Stats(t0).Uploaded)
	assert.Empty(t, out.sent(1, wire.Reject))

	s.Tick(t0.Add(time.Second))
	assert.Greater(t, s.Stats(t0).UploadRate, 0.0)
	var ps PeerStats
	for _, x := range s.Peers(t0) {
		ps = x
	}
	assert.Equal(t, want, ps.Uploaded)
	assert.Greater(t, ps.UploadRate, 0.0)
}

func TestRefuseRequests(t *testing.T) {
	have := bitfield.New(4)
	have.Set(0)
	h := newHarness(t, 4, 32<<10, have, Config{UploadSlots: 1})
	// Peer 1 takes the slot, peer 2 the optimistic one; 3 and 4 wait.
	for id := PeerID(1); id <= 4; id++ {
		h.add(id, id != 4, false)
		if id != 4 {
			h.typ(id, wire.HaveNone)
		}
		h.typ(id, wire.Interested)
	}
	require.False(t, h.s.peers[1].amChoking)
	require.True(t, h.s.peers[3].amChoking)
	require.True(t, h.s.peers[4].amChoking)

	h.msg(1, reqMsg(1, 0, 16384)) // a piece we do not have
	h.msg(3, reqMsg(0, 0, 16384)) // choked, fast
	h.msg(4, reqMsg(0, 0, 16384)) // choked, no fast: silently ignored
	assert.Empty(t, h.out.kinds("sendblock"))
	assert.Equal(t, []picker.Block{{Piece: 1, Begin: 0, Length: 16384}}, reqBlocks(h.out.sent(1, wire.Reject)))
	assert.Len(t, h.out.sent(3, wire.Reject), 1)
	assert.Empty(t, h.out.sent(4, wire.Reject))
	assert.NoError(t, h.out.closed(4))
	assert.Equal(t, int64(0), h.s.Stats(h.now).Uploaded)
}

func TestUploadQueue(t *testing.T) {
	info, _ := testData(4, 64<<10, 0)
	out := &queueOut{}
	s := New(info, fullHave(4), Config{MaxPeerRequests: 2}, out, t0)
	s.AddPeer(1, PeerInfo{Addr: "1.1.1.1:1", Fast: true}, t0)
	s.Message(1, &wire.Message{Type: wire.HaveNone}, t0)
	s.Message(1, &wire.Message{Type: wire.Interested}, t0)
	for i := range 3 {
		m := reqMsg(0, i*16384, 16384)
		s.Message(1, &m, t0)
	}
	assert.Len(t, out.kinds("sendblock"), 2)
	assert.Equal(t, []picker.Block{{Piece: 0, Begin: 32768, Length: 16384}}, reqBlocks(out.sent(1, wire.Reject)), "over MaxPeerRequests")
	assert.Equal(t, int64(32768), s.Stats(t0).Uploaded)

	out.reset()
	s.Message(1, &wire.Message{Type: wire.Cancel, Index: 0, Begin: 0, Length: 16384}, t0)
	assert.Equal(t, []picker.Block{{Piece: 0, Begin: 0, Length: 16384}}, reqBlocks(out.sent(1, wire.Reject)), "BEP 6: a cancel is answered")
	assert.Equal(t, int64(16384), s.Stats(t0).Uploaded, "a cancelled block was never sent")
	s.Message(1, &wire.Message{Type: wire.Cancel, Index: 0, Begin: 0, Length: 16384}, t0)
	assert.Len(t, out.sent(1, wire.Reject), 1, "nothing left to cancel")

	out.reset()
	s.Message(1, &wire.Message{Type: wire.NotInterested}, t0)
	assert.Len(t, out.sent(1, wire.Choke), 1)
	assert.Equal(t, []picker.Block{{Piece: 0, Begin: 16384, Length: 16384}}, reqBlocks(out.sent(1, wire.Reject)))
	assert.Equal(t, int64(0), s.Stats(t0).Uploaded)
	assert.Zero(t, out.QueuedBlocks(1))

	// Without BEP 6 dropped blocks are not answered.
	s.AddPeer(2, PeerInfo{Addr: "2.2.2.2:1"}, t0)
	s.Message(2, &wire.Message{Type: wire.Interested}, t0)
	m := reqMsg(1, 0, 16384)
	s.Message(2, &m, t0)
	require.Equal(t, 1, out.QueuedBlocks(2))
	out.reset()
	s.Message(2, &wire.Message{Type: wire.Cancel, Index: 1, Begin: 0, Length: 16384}, t0)
	assert.Empty(t, out.sent(2, wire.Reject))
	assert.Zero(t, out.QueuedBlocks(2))
}

func TestRate(t *testing.T) {
	r := rate{last: t0}
	now := t0
	for range 30 {
		r.add(100_000)
		now = now.Add(time.Second)
		r.update(now)
	}
	assert.InDelta(t, 100_000, r.value, 1_000)
	// Irregular updates converge to the same value.
	r2 := rate{last: t0}
	now = t0
	rng := rand.New(rand.NewPCG(1, 1))
	for now.Sub(t0) < 60*time.Second {
		d := time.Duration(rng.IntN(1500)+100) * time.Millisecond
		r2.add(int(100_000 * d.Seconds()))
		now = now.Add(d)
		r2.update(now)
	}
	assert.InDelta(t, 100_000, r2.value, 2_000)
	// Silence decays it.
	for range 60 {
		now = now.Add(time.Second)
		r2.update(now)
	}
	assert.Less(t, r2.value, 100.0)
	r2.update(now) // no time passed: no change, no division by zero
	assert.False(t, r2.value != r2.value)
}
