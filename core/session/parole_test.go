package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extSeed adds a peer that has everything, asks for a BEP 10 reqq and
// unchokes us. A small reqq makes the picker spread each piece over
// several peers.
func (h *harness) extSeed(id PeerID, reqq int) {
	h.add(id, false, true)
	eh := wire.ExtHandshake{ReqQ: reqq}
	h.msg(id, wire.Message{Type: wire.Extended, Payload: eh.Encode()})
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: fullHave(h.info.NumPieces()).Bytes()})
	h.typ(id, wire.Unchoke)
}

// storage plays the engine's part: it applies the session's writes and
// answers its hash requests from what was written.
type storage struct {
	h    *harness
	data []byte
	seen int // Out calls handled
}

func (st *storage) pump() {
	for st.seen < len(st.h.out.calls) {
		c := st.h.out.calls[st.seen]
		st.seen++
		switch c.Kind {
		case "write":
			copy(st.data[st.h.info.PieceOffset(c.Piece)+int64(c.Begin):], c.Data)
		case "hash":
			off := st.h.info.PieceOffset(c.Piece)
			hashResult(st.h.s, st.h.info, c.Piece, st.data[off:off+st.h.info.PieceSize(c.Piece)], st.h.now)
		}
	}
}

// TestHonestPeerSurvivesMixedPieces is a download from an honest peer and
// a liar sharing every piece, the liar corrupting each block it sends: the
// failures must end with the liar banned, the honest peer kept and the
// right data, however many pieces the two mixed.
func TestHonestPeerSurvivesMixedPieces(t *testing.T) {
	for _, first := range []PeerID{1, 2} {
		h := newHarness(t, 8, 64<<10, nil, Config{})
		h.extSeed(1, 2) // honest
		h.extSeed(2, 2) // liar
		st := &storage{h: h, data: make([]byte, len(h.data))}
		order := []PeerID{first, 3 - first}
		for round := 0; round < 2000 && !h.s.Complete(); round++ {
			sent := false
			for _, id := range order {
				if h.s.peers[id] == nil || len(h.outstanding(id)) == 0 {
					continue
				}
				if b := h.outstanding(id)[0]; id == 1 {
					h.block(id, b)
				} else {
					h.badBlock(id, b)
				}
				sent = true
				st.pump()
			}
			if !sent {
				h.advance(time.Second)
				h.s.Tick(h.now)
				st.pump()
			}
		}
		require.True(t, h.s.Complete(), "liar first: %v", first == 2)
		assert.True(t, bytes.Equal(h.data, st.data))
		assert.NotErrorIs(t, h.out.closed(1), ErrBanned, "the honest peer is kept")
		assert.ErrorIs(t, h.out.closed(2), ErrBanned)
		assert.GreaterOrEqual(t, h.s.Stats(h.now).HashFails, 3, "the test must mix pieces")
	}
}

// TestParoleRetryFromOnePeer checks that a failed piece is requested
// from a single peer, that others take it only once that peer is gone,
// and that the piece's owner can still get the rest of it.
func TestParoleRetryFromOnePeer(t *testing.T) {
	h := newHarness(t, 4, 64<<10, nil, Config{})
	h.bystander(9)
	h.extPeer(1, 2)
	h.extPeer(2, 2)
	h.extPeer(3, 2)
	for _, id := range []PeerID{1, 2} {
		for _, b := range h.outstanding(id) {
			h.badBlock(id, b)
		}
	}
	require.Len(t, h.out.kinds("hash"), 1)
	h.hashedBad(0)
	owners := 0
	for _, id := range []PeerID{1, 2, 3} {
		if len(h.outstanding(id)) > 0 {
			owners++
		}
	}
	require.Equal(t, 1, owners, "one peer fetches the failed piece")
	owner := h.s.pieces[0].owner
	require.NotNil(t, owner)
	// The owner keeps the piece as its requests are answered...
	b := h.outstanding(owner.id)[0]
	h.block(owner.id, b)
	assert.Same(t, owner, h.s.pieces[0].owner)
	// ...and gives it up when it leaves.
	h.s.RemovePeer(owner.id, h.now)
	h.advance(time.Second)
	h.s.Tick(h.now)
	next := h.s.pieces[0].owner
	require.NotNil(t, next)
	assert.NotSame(t, owner, next)
	for _, id := range []PeerID{1, 2, 3} {
		if p := h.s.peers[id]; p != nil && p != next {
			assert.Empty(t, h.outstanding(id), "peer %d", id)
		}
	}
	for len(h.outstanding(next.id)) > 0 {
		h.block(next.id, h.outstanding(next.id)[0])
	}
	require.Len(t, h.out.kinds("hash"), 2)
	h.s.PieceHashed(0, true, nil, h.now)
	assert.Empty(t, h.s.parole)
	// Both senders of the failed copy differed from the good one: their
	// addresses are banned, connected or not.
	for _, id := range []PeerID{1, 2} {
		assert.True(t, h.s.hosts[hostOf(addrOf(id))].banned, "peer %d", id)
		if id != owner.id { // a peer that left is not closed again
			assert.ErrorIs(t, h.out.closed(id), ErrBanned, "peer %d", id)
		}
	}
	assert.NoError(t, h.out.closed(3))
}

// TestSnubbedOwnerGivesUpParole: an owner that keeps us waiting loses its
// parole piece to a peer that delivers.
func TestSnubbedOwnerGivesUpParole(t *testing.T) {
	h := newHarness(t, 4, 64<<10, nil, Config{})
	h.bystander(9)
	h.extPeer(1, 4)
	for _, b := range h.outstanding(1) {
		h.badBlock(1, b)
	}
	h.hashedBad(0)
	require.Same(t, h.s.peers[1], h.s.pieces[0].owner)
	h.extPeer(2, 4)
	require.Empty(t, h.outstanding(2), "peer 1 owns the piece")
	// Peer 1 goes silent past the snub timeout.
	for range 61 {
		h.advance(time.Second)
		h.s.Tick(h.now)
	}
	require.True(t, h.s.peers[1].snubbed)
	require.NotEmpty(t, h.outstanding(2))
	assert.Same(t, h.s.peers[2], h.s.pieces[0].owner)
	for len(h.outstanding(2)) > 0 {
		h.block(2, h.outstanding(2)[0])
	}
	h.s.PieceHashed(0, true, nil, h.now)
	assert.ErrorIs(t, h.out.closed(1), ErrBanned, "its failed copy differs from the good one")
	assert.NoError(t, h.out.closed(2))
}
