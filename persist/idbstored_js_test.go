//go:build js

package persist

import (
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refuseGetAllKeys makes listing keys throw for the rest of the test, so
// a storage that opens anyway did not list its pieces.
func refuseGetAllKeys(t *testing.T) {
	proto := js.Global().Get("IDBObjectStore").Get("prototype")
	orig := proto.Get("getAllKeys")
	proto.Set("getAllKeys", jsFunc("", "throw new Error('listed the keys')"))
	t.Cleanup(func() { proto.Set("getAllKeys", orig) })
}

// TestIDBStorageOpensFromStoredBitfield: in IndexedDB, a reopened storage
// finds its stored and verified pieces from the two bitfields beside them,
// without walking the torrent's keys; a database without the stored
// bitfield (an earlier Braid's) is listed once and gets one.
func TestIDBStorageOpensFromStoredBitfield(t *testing.T) {
	const pieceLen = 16 << 10
	const length = 5 * pieceLen
	db, name := openTestDB(t)
	s, err := db.Storage(testIH, length, pieceLen)
	require.NoError(t, err)
	data := randomBytes(length, 4)
	_, err = s.WriteAt(data[:2*pieceLen], 0)
	require.NoError(t, err)
	_, err = s.WriteAt(data[4*pieceLen:], 4*pieceLen)
	require.NoError(t, err)
	s.MarkVerified(0)
	s.MarkVerified(4)
	require.NoError(t, s.Sync())
	require.NoError(t, db.Close())

	check := func(s *IDBStorage) {
		t.Helper()
		assert.Equal(t, []int{0, 1, 4}, s.StoredPieces())
		assert.Equal(t, []int{0, 4}, s.VerifiedPieces())
		got := make([]byte, length)
		_, err := s.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, data[:2*pieceLen], got[:2*pieceLen])
		assert.Equal(t, make([]byte, 2*pieceLen), got[2*pieceLen:4*pieceLen])
		assert.Equal(t, data[4*pieceLen:], got[4*pieceLen:])
	}
	t.Run("from the bitfield", func(t *testing.T) {
		refuseGetAllKeys(t)
		db := reopen(t, name)
		s, err := db.Storage(testIH, length, pieceLen)
		require.NoError(t, err)
		check(s)
		require.NoError(t, db.Close())
	})
	t.Run("without it, listed once", func(t *testing.T) {
		db := reopen(t, name)
		_, err := db.transact(piecesStore, "readwrite", func(os js.Value) (js.Value, error) {
			return call(os, "delete", piecePrefix(testIH)+"s")
		})
		require.NoError(t, err)
		s, err := db.Storage(testIH, length, pieceLen)
		require.NoError(t, err)
		check(s)
		require.NoError(t, db.Close())

		refuseGetAllKeys(t)
		db = reopen(t, name)
		s, err = db.Storage(testIH, length, pieceLen)
		require.NoError(t, err, "the listed pieces' bitfield was stored")
		check(s)
	})
}
