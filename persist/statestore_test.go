package persist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// testStateStore runs the StateStore contract against any implementation.
func testStateStore(t *testing.T, s StateStore) {
	a, _ := makeTorrent(t, "a", true, 16<<10, metainfo.FileSpec{Path: []string{"a"}, Length: 50_000})
	b, _ := makeTorrent(t, "b", false, 16<<10, multiSpecs()...)

	list, err := s.List()
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.Load(a.InfoHash)
	require.ErrorIs(t, err, ErrNoRecord)

	ra, rb := sampleRecord(a), sampleRecord(b)
	require.NoError(t, s.Save(ra))
	require.NoError(t, s.Save(rb))
	got, err := s.Load(a.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, ra, got)

	// Saving again replaces the record.
	ra.Uploaded = 999_999
	ra.Paused = false
	require.NoError(t, s.Save(ra))
	got, err = s.Load(a.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, int64(999_999), got.Uploaded)
	assert.False(t, got.Paused)

	// The store holds its own copy.
	got.Bitfield[0] = 0xff
	again, err := s.Load(a.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, byte(0x80), again.Bitfield[0])

	list, err = s.List()
	require.NoError(t, err)
	want := [][20]byte{a.InfoHash, b.InfoHash}
	sortHashes(want)
	assert.Equal(t, want, list)

	require.NoError(t, s.Delete(a.InfoHash))
	require.NoError(t, s.Delete(a.InfoHash), "deleting an absent record is fine")
	_, err = s.Load(a.InfoHash)
	require.ErrorIs(t, err, ErrNoRecord)
	list, err = s.List()
	require.NoError(t, err)
	assert.Equal(t, [][20]byte{b.InfoHash}, list)

	bad := sampleRecord(a)
	bad.InfoHash = bad.InfoHash[:10]
	require.ErrorIs(t, s.Save(bad), ErrCorruptRecord)
}

func TestMemoryStateStore(t *testing.T) {
	testStateStore(t, NewMemoryStateStore())
}
