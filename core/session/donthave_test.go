package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/wire"
)

// A seed that loses a piece tells BEP 54 peers (lt_donthave on their id),
// is no longer complete nor upload-only, wants the piece from peers that
// have it, and fetches it again.
func TestLosePieceSaysDontHaveAndRefetches(t *testing.T) {
	h := newHarness(t, 4, 32<<10, fullHave(4), Config{ExtHandshake: ourHandshake})
	require.True(t, h.s.Complete())
	h.hsPeer(1, wire.ExtHandshake{M: map[string]int{"lt_donthave": 7, "upload_only": 8}}) // a leecher
	h.hsPeer(2, wire.ExtHandshake{}, 2)                                                   // has piece 2, no BEP 54
	left := h.s.Stats(h.now).Left
	require.Zero(t, left)
	h.out.reset()

	h.s.LosePiece(2, h.now)
	assert.False(t, h.s.Have().Has(2))
	assert.False(t, h.s.Complete())
	assert.False(t, h.s.UploadOnly())
	assert.Equal(t, int64(32<<10), h.s.Stats(h.now).Left)
	var dontHave []uint32
	for _, m := range extSent(h, 1) {
		if m.ExtID == 7 {
			idx, err := wire.ParseDontHave(m.Payload)
			require.NoError(t, err)
			dontHave = append(dontHave, idx)
		}
	}
	assert.Equal(t, []uint32{2}, dontHave)
	for _, m := range extSent(h, 2) {
		assert.NotEqual(t, uint8(7), m.ExtID, "peer 2 has no lt_donthave id")
	}
	assert.Len(t, h.out.sent(2, wire.Interested), 1, "peer 2 has what we now lack")
	require.NotEmpty(t, h.outstanding(2))
	h.download(2)
	assert.True(t, h.s.Have().Has(2))
	assert.True(t, h.s.Complete())

	// Losing what we do not have, or an index out of range, does nothing.
	h.out.reset()
	h.s.LosePiece(9, h.now)
	h.s.LosePiece(-1, h.now)
	assert.Empty(t, h.out.calls)
}
