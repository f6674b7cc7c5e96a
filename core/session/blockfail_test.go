package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A v2 piece whose block hashes name its bad block: the sender of that
// block alone is banned at the first failure (no parole round), the
// honest sender of the other blocks is kept, and only the bad block is
// fetched again before the piece is hashed once more.
func TestPieceBlocksBadBansTheSenderAndRefetchesOnlyThem(t *testing.T) {
	h := mixedCopy(t) // peer 1 sent a bad block (a[0]) and a good one
	a := h.outstandingFor(t, 0)
	require.True(t, h.s.PeerHas(1, 0))
	require.True(t, h.s.PeerHas(9, 0))
	require.False(t, h.s.PeerHas(3, 0), "not connected")
	require.True(t, h.s.SentBlock(1, 0))
	require.True(t, h.s.SentBlock(2, 0))
	require.False(t, h.s.SentBlock(9, 0))

	h.s.PieceBlocksBad(0, []int{a}, h.now)
	assert.ErrorIs(t, h.out.closed(1), ErrBanned, "its block was proven wrong")
	assert.NoError(t, h.out.closed(2))
	st := h.s.Stats(h.now)
	assert.Equal(t, 1, st.HashFails)

	again := h.outstanding(2)
	var ofPiece []int
	for _, b := range again {
		if b.Piece == 0 {
			ofPiece = append(ofPiece, b.Begin/16384)
		}
	}
	require.Equal(t, []int{a}, ofPiece, "only the bad block is asked for again")
	hashes := len(h.out.kinds("hash"))
	for _, b := range again {
		if b.Piece == 0 {
			h.block(2, b)
		}
	}
	require.Len(t, h.out.kinds("hash"), hashes+1, "the piece is whole again")
	h.s.PieceHashed(0, true, nil, h.now)
	require.True(t, h.s.Have().Has(0))
	assert.NoError(t, h.out.closed(2))

	// Late or stray reports change nothing.
	h.s.PieceBlocksBad(0, []int{0}, h.now)
	h.s.PieceBlocksBad(1, nil, h.now)
	h.s.PieceBlocksBad(-1, []int{0}, h.now)
	assert.True(t, h.s.Have().Has(0))
	assert.Equal(t, 1, h.s.Stats(h.now).HashFails)
}

// outstandingFor finds which block of piece mixedCopy's peer 1 corrupted.
func (h *harness) outstandingFor(t *testing.T, piece int) int {
	t.Helper()
	for _, c := range h.out.kinds("write") {
		off := h.info.PieceOffset(c.Piece) + int64(c.Begin)
		if c.Piece == piece && string(c.Data) != string(h.data[off:off+int64(len(c.Data))]) {
			return c.Begin / 16384
		}
	}
	t.Fatal("no corrupt block written")
	return -1
}
