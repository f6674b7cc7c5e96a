package session

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unchoked(s *Session) []PeerID {
	var out []PeerID
	for _, p := range s.order {
		if !p.amChoking {
			out = append(out, p.id)
		}
	}
	return out
}

func regulars(s *Session) []PeerID {
	var out []PeerID
	for _, p := range s.order {
		if p.regular {
			out = append(out, p.id)
		}
	}
	return out
}

// leecher adds a peer that has nothing and wants what we have.
func (h *harness) leecher(id PeerID) {
	h.add(id, true, false)
	h.typ(id, wire.HaveNone)
	h.typ(id, wire.Interested)
}

func TestSeedUnchokesAtOnceWithinLimit(t *testing.T) {
	h := newHarness(t, 8, 32<<10, fullHave(8), Config{})
	for id := PeerID(1); id <= 10; id++ {
		h.leecher(id)
		assert.LessOrEqual(t, len(unchoked(h.s)), DefaultUploadSlots+1)
		if id <= DefaultUploadSlots+1 {
			assert.Len(t, h.out.sent(id, wire.Unchoke), 1, "free slot: unchoked without waiting for a round")
		}
	}
	assert.Len(t, unchoked(h.s), DefaultUploadSlots+1)
	assert.Equal(t, DefaultUploadSlots+1, h.s.Stats(h.now).Unchoked)
	assert.Equal(t, 10, h.s.Stats(h.now).Interested)

	// Seeding rotates: within a few minutes everyone had a turn, and the
	// limit holds at every tick.
	ever := map[PeerID]bool{}
	for sec := 1; sec <= 300; sec++ {
		h.advance(time.Second)
		h.s.Tick(h.now)
		u := unchoked(h.s)
		require.LessOrEqual(t, len(u), DefaultUploadSlots+1)
		require.GreaterOrEqual(t, len(regulars(h.s)), DefaultUploadSlots)
		for _, id := range u {
			ever[id] = true
		}
	}
	assert.Len(t, ever, 10)
}

func TestNotInterestedFreesSlot(t *testing.T) {
	h := newHarness(t, 8, 32<<10, fullHave(8), Config{})
	for id := PeerID(1); id <= 6; id++ {
		h.leecher(id)
	}
	require.Len(t, unchoked(h.s), 5)
	var waiting PeerID
	for id := PeerID(1); id <= 6; id++ {
		if h.s.peers[id].amChoking {
			waiting = id
		}
	}
	require.NotZero(t, waiting)
	reg := regulars(h.s)[0]
	h.typ(reg, wire.NotInterested)
	assert.Len(t, h.out.sent(reg, wire.Choke), 1)
	assert.False(t, h.s.peers[waiting].amChoking, "the waiting peer gets the slot")
	assert.Len(t, unchoked(h.s), 5)
}

func TestTitForTat(t *testing.T) {
	const n = 10
	have := bitfield.New(n)
	for i := range 5 {
		have.Set(i)
	}
	h := newHarness(t, n, 32<<10, have, Config{})
	theirs := bitfield.New(n)
	for i := 5; i < n; i++ {
		theirs.Set(i)
	}
	for id := PeerID(1); id <= 8; id++ {
		h.add(id, false, false)
		h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: theirs.Bytes()})
		h.typ(id, wire.Interested)
	}
	for id := PeerID(1); id <= 8; id++ {
		h.s.peers[id].down.value = float64(id) * 1000 // peer 8 gives us the most
	}
	h.advance(10 * time.Second)
	h.s.Tick(h.now)
	assert.ElementsMatch(t, []PeerID{5, 6, 7, 8}, regulars(h.s))
	u := unchoked(h.s)
	assert.Len(t, u, 5)
	require.NotNil(t, h.s.optimistic)
	assert.Less(t, h.s.optimistic.id, PeerID(5))
	assert.True(t, h.peerStats(h.s.optimistic.id).Optimistic)

	// A snubbed peer loses its regular slot while we download.
	h.s.peers[8].snubbed = true
	h.advance(10 * time.Second)
	h.s.Tick(h.now)
	assert.ElementsMatch(t, []PeerID{4, 5, 6, 7}, regulars(h.s))
	assert.LessOrEqual(t, len(unchoked(h.s)), 5)
}

func TestOptimisticRotation(t *testing.T) {
	h := newHarness(t, 10, 32<<10, bitfield.New(10), Config{})
	have := fullHave(10)
	for id := PeerID(1); id <= 6; id++ {
		h.add(id, false, false)
		h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: have.Bytes()})
		h.typ(id, wire.Interested)
		h.s.peers[id].down.value = float64(id) * 1000
	}
	h.advance(10 * time.Second)
	h.s.Tick(h.now)
	require.ElementsMatch(t, []PeerID{3, 4, 5, 6}, regulars(h.s))
	first := h.s.optimistic
	require.NotNil(t, first)
	for range 2 {
		h.advance(10 * time.Second)
		h.s.Tick(h.now)
		assert.Same(t, first, h.s.optimistic, "kept until OptimisticInterval passes")
	}
	h.advance(10 * time.Second)
	h.s.Tick(h.now)
	require.NotNil(t, h.s.optimistic)
	assert.NotSame(t, first, h.s.optimistic, "rotated to the other candidate")
	assert.True(t, first.amChoking)
	assert.Len(t, unchoked(h.s), 5)
}

func TestOptimisticFavoursNewPeers(t *testing.T) {
	h := newHarness(t, 4, 32<<10, fullHave(4), Config{Rand: rand.New(rand.NewPCG(9, 9)), UploadSlots: 1})
	h.leecher(1) // regular slot
	h.leecher(2) // old candidate
	h.advance(10 * time.Minute)
	h.leecher(3) // new candidate
	newCount := 0
	const trials = 2000
	for range trials {
		h.s.optimistic = nil
		h.s.pickOptimistic(h.now)
		require.NotNil(t, h.s.optimistic)
		require.NotEqual(t, PeerID(1), h.s.optimistic.id)
		if h.s.optimistic.id == 3 {
			newCount++
		}
	}
	assert.InDelta(t, 0.75, float64(newCount)/trials, 0.05)
}

func TestLeechingIgnoresSnubbedForImmediateSlots(t *testing.T) {
	h := newHarness(t, 4, 32<<10, bitfield.New(4), Config{UploadSlots: 1})
	h.s.have.Set(0) // something to offer
	h.add(1, false, false)
	h.s.peers[1].snubbed = true
	h.typ(1, wire.Interested)
	assert.False(t, h.s.peers[1].regular)
	assert.Same(t, h.s.peers[1], h.s.optimistic, "may still win the optimistic slot")
	h.add(2, false, false)
	h.typ(2, wire.Interested)
	assert.True(t, h.s.peers[2].regular)
}
