//go:build js

package persist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIDBVerifiedMarks: in IndexedDB, a verified mark written with its
// piece is found by the next connection (a reload); a mark whose
// transaction aborts is not, and neither is the piece.
func TestIDBVerifiedMarks(t *testing.T) {
	const pieceLen = 16 << 10
	const length = 4 * pieceLen
	db, name := openTestDB(t)
	s, err := db.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	data := randomBytes(length, 9)
	_, err = s.WriteAt(data[:2*pieceLen], 0)
	require.NoError(t, err)
	s.MarkVerified(0)
	require.NoError(t, s.Sync())
	s.MarkVerified(1) // stored already: goes out alone with the next Sync
	require.NoError(t, s.Sync())

	// The next piece's transaction aborts: neither it nor its mark lands.
	_, err = s.WriteAt(data[2*pieceLen:3*pieceLen], 2*pieceLen)
	require.NoError(t, err)
	s.MarkVerified(2)
	patchPut(t, `if (typeof k === 'string' && k.endsWith('/v')) return this.add(v, k); return orig.call(this, v, k);`)
	require.Error(t, s.Sync())
	require.NoError(t, db.Close())

	s2, err := reopen(t, name).Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, s2.VerifiedPieces())
	assert.Equal(t, []int{0, 1}, s2.StoredPieces(), "the aborted piece is not stored either")
	got := make([]byte, 2*pieceLen)
	_, err = s2.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data[:2*pieceLen], got)
}
