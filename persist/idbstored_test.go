package persist

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoredBitfieldOpensWithoutListing: the bitfield of stored pieces
// goes with the writes that add pieces, and a reopened storage takes the
// stored pieces from it instead of listing them (a walk over every stored
// byte in Chromium), whatever the torrent's size.
func TestStoredBitfieldOpensWithoutListing(t *testing.T) {
	const pl, n = 1024, 8
	st := newMapPieces()
	c := reopenChunks(t, st, pl*n, pl)
	c.flushEvery = 1 << 30
	lists := st.lists
	writePiece(t, c, 2, pl)
	writePiece(t, c, 5, pl)
	c.MarkVerified(2)
	require.NoError(t, c.Sync())
	assert.Equal(t, 1, st.sputs, "the bitfield went with the pieces' write")
	assert.Equal(t, []byte{0b00100100}, st.stored) // pieces 2 and 5

	writePiece(t, c, 2, pl) // a rewrite adds no piece: the bitfield stays
	require.NoError(t, c.Sync())
	assert.Equal(t, 1, st.sputs)

	r := reopenChunks(t, st, pl*n, pl)
	assert.Equal(t, lists, st.lists, "reopened without a list")
	assert.Equal(t, []int{2, 5}, r.StoredPieces())
	assert.True(t, r.HasData())
	got := make([]byte, pl)
	_, err := r.ReadAt(got, 5*pl)
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{6}, pl), got)

	require.NoError(t, r.DeleteData())
	r = reopenChunks(t, st, pl*n, pl)
	assert.Empty(t, r.StoredPieces())
	assert.False(t, r.HasData())
}

// TestStoredBitfieldMissingOrStale: storage written without the bitfield
// (by an earlier Braid), with one of another size, or with one that misses
// a verified piece is listed once, and the bitfield found is stored for
// the next open.
func TestStoredBitfieldMissingOrStale(t *testing.T) {
	const pl, n = 1024, 8
	for _, tc := range []struct {
		name   string
		stored []byte
	}{
		{"missing", nil},
		{"wrong size", []byte{0b01000000, 0}},
		{"misses a verified piece", []byte{0b01000000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMapPieces()
			st.m[1] = bytes.Repeat([]byte{2}, pl)
			st.m[3] = bytes.Repeat([]byte{4}, pl)
			st.verified = []byte{0b00010000} // piece 3 (the first is the high bit)
			st.stored = tc.stored
			c := reopenChunks(t, st, pl*n, pl)
			assert.Equal(t, 1, st.lists)
			assert.Equal(t, []int{1, 3}, c.StoredPieces())
			assert.Equal(t, []int{3}, c.VerifiedPieces())
			assert.Equal(t, []byte{0b01010000}, st.stored)

			r := reopenChunks(t, st, pl*n, pl)
			assert.Equal(t, 1, st.lists, "the stored bitfield serves the next open")
			assert.Equal(t, []int{1, 3}, r.StoredPieces())
			assert.Equal(t, []int{3}, r.VerifiedPieces())
		})
	}
}

// TestStoredBitfieldNotAheadOfPieces: a write that fails stores neither
// its pieces nor the bitfield naming them; the retry stores both.
func TestStoredBitfieldNotAheadOfPieces(t *testing.T) {
	const pl, n = 1024, 8
	st := newMapPieces()
	c := reopenChunks(t, st, pl*n, pl)
	c.flushEvery = 1 << 30
	writePiece(t, c, 0, pl)
	require.NoError(t, c.Sync())
	writePiece(t, c, 4, pl)
	st.failPut = assert.AnError
	require.Error(t, c.Sync())
	assert.Equal(t, []byte{0b10000000}, st.stored)
	assert.Equal(t, []int{0}, reopenChunks(t, st, pl*n, pl).StoredPieces())
	st.failPut = nil
	require.NoError(t, c.Sync())
	assert.Equal(t, []byte{0b10001000}, st.stored)
	assert.Equal(t, []int{0, 4}, reopenChunks(t, st, pl*n, pl).StoredPieces())
}
