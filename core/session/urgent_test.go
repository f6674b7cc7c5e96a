package session

import (
	"testing"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A reader waits for a piece whose blocks a slow peer holds: another peer
// is asked for second copies at once, the first copy in cancels the other,
// and the reader is not held for a request timeout.
func TestUrgentPieceAskedOfASecondPeer(t *testing.T) {
	h := newHarness(t, 16, 32<<10, nil, Config{MinQueue: 4})
	h.seedPeer(1, true) // the slow one: never answers
	held := h.outstanding(1)
	require.Len(t, held, 4)
	urgent := held[0].Piece
	var blocks []picker.Block
	for _, b := range held {
		if b.Piece == urgent {
			blocks = append(blocks, b)
		}
	}
	require.Len(t, blocks, 2)

	h.seedPeer(2, true)
	for _, b := range blocks {
		assert.NotContains(t, h.outstanding(2), b, "no copies before a reader waits")
	}
	h.s.SetPiecePriority(urgent, picker.PriorityNow) // what a streaming read does
	h.block(2, h.outstanding(2)[0])                  // peer 2 refills...
	for _, b := range blocks {
		assert.Contains(t, h.outstanding(2), b, "...asking for the urgent blocks too")
	}
	h.seedPeer(3, true)
	for _, b := range blocks {
		assert.NotContains(t, h.outstanding(3), b, "two copies at most")
	}

	h.out.reset()
	for _, b := range blocks {
		h.block(2, b)
	}
	assert.ElementsMatch(t, blocks, reqBlocks(h.out.sent(1, wire.Cancel)), "the slow copies are cancelled")
	for _, b := range blocks {
		assert.NotContains(t, h.outstanding(1), b)
	}
	hashes := h.out.kinds("hash")
	require.Len(t, hashes, 1)
	assert.Equal(t, urgent, hashes[0].Piece)
	assert.Zero(t, h.s.Stats(h.now).Wasted)
}

// A snubbed peer is not given second copies: it is the slow one.
func TestUrgentCopiesSkipSnubbedPeers(t *testing.T) {
	h := newHarness(t, 16, 32<<10, nil, Config{MinQueue: 4})
	h.seedPeer(1, true)
	urgent := h.outstanding(1)[0].Piece
	h.seedPeer(2, true)
	// Peer 2 is snubbed with its pipe empty: it may have one probe.
	p := h.s.peers[2]
	for _, r := range p.reqs {
		h.s.pk.Unrequest(r.b)
	}
	p.reqs = p.reqs[:0]
	p.snubbed = true
	h.s.SetPiecePriority(urgent, picker.PriorityNow)
	h.s.Tick(h.now)
	got := h.outstanding(2)
	require.Len(t, got, 1, "one probe")
	assert.NotEqual(t, urgent, got[0].Piece)
}
