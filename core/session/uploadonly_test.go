package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

var ourHandshake = []byte("d1:md11:ut_metadatai1eee")

// hsPeer adds a BEP 10 peer that sends eh, then the given pieces, then
// unchokes us.
func (h *harness) hsPeer(id PeerID, eh wire.ExtHandshake, pieces ...int) {
	h.add(id, true, true)
	h.msg(id, wire.Message{Type: wire.Extended, Payload: eh.Encode()})
	bf := bitfield.New(h.info.NumPieces())
	for _, i := range pieces {
		bf.Set(i)
	}
	h.msg(id, wire.Message{Type: wire.Bitfield, Bitfield: bf.Bytes()})
	h.typ(id, wire.Unchoke)
}

// download fetches every block outstanding with id until it has none, and
// verifies the pieces.
func (h *harness) download(id PeerID) {
	for len(h.outstanding(id)) > 0 {
		b := h.outstanding(id)[0]
		h.block(id, b)
		for _, c := range h.out.kinds("hash") {
			if !h.s.Have().Has(c.Piece) && h.s.hashing.Has(c.Piece) {
				h.s.PieceHashed(c.Piece, true, nil, h.now)
			}
		}
	}
}

func extSent(h *harness, id PeerID) []wire.Message { return h.out.sent(id, wire.Extended) }

func TestUploadOnlyAdvertisedWhenSelectionDone(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{ExtHandshake: ourHandshake})
	h.s.SetPiecePriority(2, picker.PriorityNone)
	h.s.SetPiecePriority(3, picker.PriorityNone)
	h.hsPeer(1, wire.ExtHandshake{M: map[string]int{"upload_only": 9}}, 0, 1)
	h.hsPeer(2, wire.ExtHandshake{}, 0)
	for _, id := range []PeerID{1, 2} {
		first := extSent(h, id)
		require.Len(t, first, 1)
		eh, err := wire.ParseExtHandshake(first[0].Payload)
		require.NoError(t, err)
		assert.False(t, eh.UploadOnly, "still downloading")
		assert.Equal(t, int(ExtUploadOnly), eh.M["upload_only"])
		assert.Equal(t, int(ExtDontHave), eh.M["lt_donthave"])
	}
	assert.False(t, h.s.UploadOnly())

	h.out.reset()
	h.download(1)
	require.True(t, h.s.Complete())
	assert.True(t, h.s.UploadOnly())
	assert.Len(t, h.out.kinds("completed"), 1)
	// Peer 1 accepts the upload_only message on its id.
	got := extSent(h, 1)
	require.Len(t, got, 1)
	assert.Equal(t, uint8(9), got[0].ExtID)
	assert.Equal(t, []byte{1}, got[0].Payload)
	// Peer 2 does not: it gets an updated extension handshake.
	got = extSent(h, 2)
	require.Len(t, got, 1)
	assert.Equal(t, uint8(0), got[0].ExtID)
	eh, err := wire.ParseExtHandshake(got[0].Payload)
	require.NoError(t, err)
	assert.True(t, eh.UploadOnly)
	assert.Equal(t, 1, eh.M["ut_metadata"], "the engine's part is kept")
	assert.Nil(t, h.out.closed(1))

	// A new connection is greeted as upload-only.
	h.out.reset()
	h.add(3, true, true)
	got = extSent(h, 3)
	require.Len(t, got, 1)
	eh, err = wire.ParseExtHandshake(got[0].Payload)
	require.NoError(t, err)
	assert.True(t, eh.UploadOnly)

	// Wanting a piece again is said too.
	h.out.reset()
	h.s.SetPiecePriority(2, picker.PriorityNormal)
	assert.False(t, h.s.UploadOnly())
	got = extSent(h, 1)
	require.Len(t, got, 1)
	assert.Equal(t, []byte{0}, got[0].Payload)
}

func TestTwoPartialSeedsPart(t *testing.T) {
	have := bitfield.New(4)
	have.Set(0)
	have.Set(1)
	h := newHarness(t, 4, 32<<10, have, Config{ExtHandshake: ourHandshake})
	h.s.SetPiecePriority(2, picker.PriorityNone)
	h.s.SetPiecePriority(3, picker.PriorityNone)
	require.True(t, h.s.Complete())

	// Upload-only in its handshake.
	h.hsPeer(1, wire.ExtHandshake{UploadOnly: true}, 2)
	assert.ErrorIs(t, h.out.closed(1), ErrBothSeeds)

	// Upload-only said later with the message.
	h.hsPeer(2, wire.ExtHandshake{}, 2)
	require.Nil(t, h.out.closed(2))
	h.msg(2, wire.Message{Type: wire.Extended, ExtID: ExtUploadOnly, Payload: []byte{1}})
	assert.ErrorIs(t, h.out.closed(2), ErrBothSeeds)

	// A malformed upload_only message is a protocol error.
	h.hsPeer(3, wire.ExtHandshake{}, 2)
	h.msg(3, wire.Message{Type: wire.Extended, ExtID: ExtUploadOnly, Payload: []byte{1, 1}})
	assert.ErrorIs(t, h.out.closed(3), ErrProtocol)
}

func TestUploadOnlyPeerWhileDownloading(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{ExtHandshake: ourHandshake})
	h.hsPeer(1, wire.ExtHandshake{UploadOnly: true}, 0, 1)
	assert.Nil(t, h.out.closed(1), "we still want its pieces")
	reqs := h.outstanding(1)
	require.NotEmpty(t, reqs)
	for _, b := range reqs {
		assert.Contains(t, []int{0, 1}, b.Piece, "only pieces it has")
	}
	// It does not count as wanting our uploads.
	h.typ(1, wire.Interested)
	assert.Equal(t, 0, h.s.Stats(h.now).Interested)
	h.advance(DefaultChokeInterval)
	h.s.Tick(h.now)
	assert.True(t, h.s.peers[1].amChoking)
}

func TestDontHave(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{ExtHandshake: ourHandshake})
	h.hsPeer(1, wire.ExtHandshake{}, 0)
	h.hsPeer(2, wire.ExtHandshake{}, 0, 1)
	assert.Equal(t, 2, h.s.pk.Availability(0))
	require.NotEmpty(t, h.outstanding(1))
	for _, b := range h.outstanding(1) {
		require.Equal(t, 0, b.Piece)
	}

	h.out.reset()
	h.msg(1, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: wire.AppendDontHave(nil, 0)})
	assert.Nil(t, h.out.closed(1))
	assert.Equal(t, 1, h.s.pk.Availability(0), "availability drops")
	assert.Empty(t, h.outstanding(1), "no more requests in piece 0 from it")
	assert.NotEmpty(t, h.out.sent(1, wire.Cancel))
	assert.Len(t, h.out.sent(1, wire.NotInterested), 1, "it has nothing we want")
	assert.False(t, h.s.peers[1].has.Has(0))
	// A repeated or never-had piece changes nothing.
	h.msg(1, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: wire.AppendDontHave(nil, 0)})
	h.msg(1, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: wire.AppendDontHave(nil, 3)})
	assert.Equal(t, 1, h.s.pk.Availability(0))
	assert.Equal(t, 0, h.s.pk.Availability(3))
	assert.Nil(t, h.out.closed(1))

	// Out of range, or not 4 bytes: a protocol error.
	h.msg(1, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: wire.AppendDontHave(nil, 4)})
	assert.ErrorIs(t, h.out.closed(1), ErrProtocol)
	h.msg(2, wire.Message{Type: wire.Extended, ExtID: ExtDontHave, Payload: []byte{0, 0, 1}})
	assert.ErrorIs(t, h.out.closed(2), ErrProtocol)
	assert.Equal(t, 0, h.s.pk.Availability(1), "a dropped peer's pieces are uncounted")
}

// Each peer's extension handshake tells it its address as we see it
// (yourip): how peers learn the external address BEP 40 ranks by. A peer
// without an IP address (WebRTC) gets none.
func TestExtHandshakeSaysYourIP(t *testing.T) {
	h := newHarness(t, 4, 32<<10, nil, Config{ExtHandshake: ourHandshake})
	h.add(5, true, true)
	h.s.AddPeer(6, PeerInfo{Addr: "[2001:db8::7]:51413", Extended: true, Transport: "tcp"}, h.now)
	h.s.AddPeer(7, PeerInfo{Addr: "webrtc:0a0b", Extended: true, Transport: "webrtc"}, h.now)
	want := map[PeerID][]byte{5: {10, 0, 0, 5}, 6: {0x20, 0x01, 0x0d, 0xb8, 12: 0, 15: 7}, 7: nil}
	for id, ip := range want {
		got := extSent(h, id)
		require.Len(t, got, 1)
		eh, err := wire.ParseExtHandshake(got[0].Payload)
		require.NoError(t, err)
		assert.Equal(t, ip, eh.YourIP, "peer %d", id)
		assert.Equal(t, 1, eh.M["ut_metadata"], "the engine's part is kept")
	}
}
