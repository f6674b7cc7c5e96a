package persist

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ VerifiedStore = (*chunkStore)(nil)

// writePiece writes piece i of a store with pieces of pl bytes, filled
// with byte(i+1).
func writePiece(t *testing.T, c *chunkStore, i int, pl int64) {
	t.Helper()
	_, err := c.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, int(pl)), int64(i)*pl)
	require.NoError(t, err)
}

func reopenChunks(t *testing.T, st *mapPieces, length, pl int64) *chunkStore {
	t.Helper()
	c, err := newChunkStore(st, length, pl)
	require.NoError(t, err)
	return c
}

// TestVerifiedMarksSurviveReopen: a mark reaches the store only with (or
// after) the piece's bytes, and a reopened storage trusts exactly the
// marked pieces it holds.
func TestVerifiedMarksSurviveReopen(t *testing.T) {
	const pl, n = 1024, 8
	st := newMapPieces()
	c := reopenChunks(t, st, pl*n, pl)
	c.flushEvery = 1 << 30 // flush only on Sync, unless a test says so

	c.MarkVerified(0) // nothing written: ignored
	writePiece(t, c, 0, pl)
	writePiece(t, c, 1, pl)
	c.MarkVerified(0) // verified while buffered
	require.NoError(t, c.Sync())
	assert.Equal(t, 1, st.vputs, "the mark went with the pieces' write")
	assert.Equal(t, 1, st.batches)

	r := reopenChunks(t, st, pl*n, pl)
	assert.Equal(t, []int{0}, r.VerifiedPieces())
	assert.Equal(t, []int{0, 1}, r.StoredPieces())

	// Piece 1 is stored already when its verdict comes: the mark waits for
	// the next write or Sync, which stores it alone.
	c.MarkVerified(1)
	assert.Equal(t, []int{0}, reopenChunks(t, st, pl*n, pl).VerifiedPieces(), "not stored before Sync")
	require.NoError(t, c.Sync())
	assert.Equal(t, 2, st.vputs)
	assert.Equal(t, 1, st.batches, "no piece written again")
	assert.Equal(t, []int{0, 1}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
	require.NoError(t, c.Sync())
	assert.Equal(t, 2, st.vputs, "an unchanged mark is not written again")

	// A piece marked while buffered, with its write failing: neither the
	// piece nor the mark is stored.
	writePiece(t, c, 2, pl)
	c.MarkVerified(2)
	st.failPut = assert.AnError
	require.Error(t, c.Sync())
	assert.Equal(t, []int{0, 1}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
	st.failPut = nil
	require.NoError(t, c.Sync())
	assert.Equal(t, []int{0, 1, 2}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())

	// A rewrite clears the mark, in the write that stores the new bytes.
	r = reopenChunks(t, st, pl*n, pl)
	_, err := r.WriteAt([]byte{9, 9}, pl+10)
	require.NoError(t, err)
	require.NoError(t, r.Sync())
	assert.Equal(t, []int{0, 2}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())

	// Closing stores what is buffered and the marks with it.
	writePiece(t, r, 5, pl)
	r.MarkVerified(5)
	require.NoError(t, r.Close())
	assert.Equal(t, []int{0, 2, 5}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())

	require.NoError(t, reopenChunks(t, st, pl*n, pl).DeleteData())
	assert.Empty(t, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
}

// TestVerifiedMarksNotTrustedBlindly: a mark for a piece the store does
// not hold, or a bitfield of the wrong size, trusts nothing.
func TestVerifiedMarksNotTrustedBlindly(t *testing.T) {
	const pl, n = 1024, 8
	st := newMapPieces()
	c := reopenChunks(t, st, pl*n, pl)
	writePiece(t, c, 3, pl)
	require.NoError(t, c.Close())
	st.verified = []byte{0b00011000} // pieces 3 and 4; 4 is not stored
	assert.Equal(t, []int{3}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
	st.verified = []byte{0xff, 0xff}
	assert.Empty(t, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
	st.verified = []byte{0b00010001} // pieces 3 and 7 of 5: a spare bit set
	assert.Empty(t, reopenChunks(t, st, pl*5, pl).VerifiedPieces())
	st.verified = []byte{0b00010000}
	assert.Equal(t, []int{3}, reopenChunks(t, st, pl*5, pl).VerifiedPieces())
}

// TestVerifiedMarkFlushedWithBatch: a piece verified while buffered goes
// out in the batch WriteAt flushes, with its mark in the same write.
func TestVerifiedMarkFlushedWithBatch(t *testing.T) {
	const pl, n = 1024, 8
	st := newMapPieces()
	c := reopenChunks(t, st, pl*n, pl)
	c.flushEvery = 2 * pl
	writePiece(t, c, 0, pl)
	c.MarkVerified(0)
	writePiece(t, c, 1, pl) // reaches flushEvery: 0 and 1 stored, 0 marked
	assert.Equal(t, 1, st.batches)
	assert.Equal(t, 1, st.vputs)
	assert.Equal(t, []int{0}, reopenChunks(t, st, pl*n, pl).VerifiedPieces())
}
