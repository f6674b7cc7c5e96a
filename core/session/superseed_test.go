package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/wire"
)

// haves returns the pieces announced to p with Have, in order.
func haves(h *harness, p PeerID) []int {
	var out []int
	for _, m := range h.out.sent(p, wire.Have) {
		out = append(out, int(m.Index))
	}
	return out
}

// A super-seeding seed hides its bitfield, offers each peer two pieces no
// other peer was offered, rarest first, and a new one each time a piece
// it offered is announced by the peer or by another.
func TestSuperSeedOffersRarePiecesOneAtATime(t *testing.T) {
	h := newHarness(t, 8, 32<<10, fullHave(8), Config{})
	h.s.SetSuperSeed(true)
	require.True(t, h.s.SuperSeed())

	h.add(1, true, false)
	assert.Empty(t, h.out.sent(1, wire.Bitfield))
	assert.Empty(t, h.out.sent(1, wire.HaveAll))
	assert.Len(t, h.out.sent(1, wire.HaveNone), 1, "a fast peer is told we have nothing")
	assert.Empty(t, haves(h, 1), "a fast peer says what it has first")
	h.typ(1, wire.HaveNone)
	assert.Equal(t, []int{0, 1}, haves(h, 1))
	assert.Empty(t, h.out.sent(1, wire.AllowedFast), "no allowed-fast set gives pieces away")

	// Peer 3 holds piece 3 and is offered pieces nobody else was: 2, 4.
	h.partialPeer(3, true, 3)
	assert.Equal(t, []int{2, 4}, haves(h, 3))
	// Peer 2 (no BEP 6: offered at once) gets pieces nobody was offered
	// and nobody has, before piece 3, which nobody was offered but peer 3
	// has.
	h.add(2, false, false)
	h.msg(2, wire.Message{Type: wire.Bitfield, Bitfield: bitsOf(8, 2)})
	assert.Equal(t, []int{5, 6}, haves(h, 2))
	assert.Empty(t, h.out.sent(2, wire.Bitfield))

	// Peer 1 fetched piece 0 and says so: it is offered the next.
	h.out.reset()
	h.have(1, 0)
	assert.Equal(t, []int{7}, haves(h, 1))
	// Peer 2 got piece 1 elsewhere: it is out there, so peer 1 is offered
	// another (not 1 again: it can fetch that from peer 2); peer 2's own
	// offers stand.
	h.out.reset()
	h.have(2, 1)
	assert.Equal(t, []int{3}, haves(h, 1))
	assert.Empty(t, haves(h, 2))

	// Pieces offered to peer 2 are withdrawn when it leaves. A newcomer
	// gets the pieces nobody has and nobody is offered (1, which left with
	// peer 2, and 5), the next one 6 and then the rarest, 0.
	h.s.RemovePeer(2, h.now)
	h.out.reset()
	h.add(4, false, false)
	assert.Equal(t, []int{1, 5}, haves(h, 4))
	h.add(5, false, false)
	assert.Equal(t, []int{6, 0}, haves(h, 5))
}

// When every piece a peer lacks is offered elsewhere, it still gets the
// rarest; a peer with everything is offered nothing.
func TestSuperSeedSharesWhenPiecesRunOut(t *testing.T) {
	h := newHarness(t, 3, 32<<10, fullHave(3), Config{})
	h.s.SetSuperSeed(true)
	h.add(1, false, false)
	assert.Equal(t, []int{0, 1}, haves(h, 1))
	h.add(2, false, false)
	assert.Equal(t, []int{2, 0}, haves(h, 2))
	h.out.reset()
	h.seedPeer(3, true)
	assert.Empty(t, haves(h, 3), "a fast seed says so first")
}

// Super-seeding acts only while complete; turning it off tells each
// super-seeded peer what it lacks, and new peers get the bitfield again.
func TestSuperSeedOnlyWhileCompleteAndOff(t *testing.T) {
	partial := bitfield.New(4)
	partial.Set(0)
	h := newHarness(t, 4, 32<<10, partial, Config{})
	h.s.SetSuperSeed(true)
	h.add(1, false, false)
	assert.Len(t, h.out.sent(1, wire.Bitfield), 1, "not complete: a plain bitfield")
	assert.Empty(t, haves(h, 1))

	h = newHarness(t, 4, 32<<10, fullHave(4), Config{})
	h.s.SetSuperSeed(true)
	h.add(1, true, false)
	h.typ(1, wire.HaveNone)
	h.have(1, 0)
	h.out.reset()
	h.s.SetSuperSeed(false)
	assert.Equal(t, []int{1, 2, 3}, haves(h, 1), "the rest, once off")
	h.out.reset()
	h.add(2, true, false)
	assert.Len(t, h.out.sent(2, wire.HaveAll), 1)
}

func bitsOf(n int, pieces ...int) []byte {
	bf := bitfield.New(n)
	for _, i := range pieces {
		bf.Set(i)
	}
	return bf.Bytes()
}

// A super-seeded peer is not told upload_only (libtorrent would drop a
// peer that wants nothing and shows nothing); once super-seeding ends it
// is. Others are told as usual.
func TestSuperSeedHidesUploadOnly(t *testing.T) {
	uploadOnly := func(m []wire.Message) []bool {
		var out []bool
		for _, x := range m {
			eh, err := wire.ParseExtHandshake(x.Payload)
			require.NoError(t, err)
			out = append(out, eh.UploadOnly)
		}
		return out
	}
	h := newHarness(t, 4, 32<<10, fullHave(4), Config{ExtHandshake: ourHandshake})
	h.add(1, true, true)
	h.s.SetSuperSeed(true)
	h.add(2, true, true)
	assert.Equal(t, []bool{true}, uploadOnly(extSent(h, 1)))
	assert.Equal(t, []bool{false}, uploadOnly(extSent(h, 2)))
	h.typ(2, wire.HaveNone)
	h.s.SetSuperSeed(false)
	assert.Equal(t, []bool{false, true}, uploadOnly(extSent(h, 2)))
	assert.Equal(t, []bool{true}, uploadOnly(extSent(h, 1)), "peer 1 was never super-seeded")
}
