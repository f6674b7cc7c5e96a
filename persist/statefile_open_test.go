//go:build !js

package persist

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileStateStoreFindsV2RecordAfterReopen: a v2-only torrent's record
// saved by an earlier run (another store on the directory) is found by the
// store opened afterwards, by the 20 bytes the torrent is known by.
func TestFileStateStoreFindsV2RecordAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFileStateStore(dir)
	require.NoError(t, err)
	r, mi := v2Record(t)
	require.NoError(t, s.Save(r))

	s2, err := NewFileStateStore(dir)
	require.NoError(t, err)
	key := mi.ShortInfoHashV2()
	got, err := s2.Load(key)
	require.NoError(t, err)
	require.Equal(t, r.InfoHash, got.InfoHash)
	require.NoError(t, s2.Delete(key))
	_, err = s2.Load(key)
	require.ErrorIs(t, err, ErrNoRecord)
	s3, err := NewFileStateStore(dir)
	require.NoError(t, err)
	_, err = s3.Load(key)
	require.ErrorIs(t, err, ErrNoRecord, "deleted for good")
}
