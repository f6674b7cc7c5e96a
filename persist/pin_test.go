//go:build !js

package persist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A piece pinned after its write is read back through the same handles
// however many files are written meanwhile; once released, the cache
// shrinks back to its bound.
func TestFileStoragePinKeepsHandlesUntilRelease(t *testing.T) {
	dir := t.TempDir()
	info := manyFiles(60)
	const max = 16
	s, err := OpenFiles(dir, info, FileOptions{MaxOpenFiles: max})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)
	content := randomBytes(int(info.Length), 13)

	// The first piece spans several files.
	pl := info.PieceLength
	_, err = s.WriteAt(content[:pl], 0)
	require.NoError(t, err)
	release := s.Pin(0, pl)
	_, err = s.WriteAt(content[pl:], pl)
	require.NoError(t, err)
	buf := make([]byte, pl)
	_, err = s.ReadAt(buf, 0)
	require.NoError(t, err)
	require.Equal(t, content[:pl], buf)

	opens, _, _ := c.snapshot()
	first := 0
	for i, p := range s.Paths() {
		if info.Files[i].Offset >= pl {
			break
		}
		first++
		assert.Equal(t, 1, opens[p], "%s of the pinned piece opened once", p)
	}
	require.Greater(t, first, 2, "the piece spans several files")
	require.LessOrEqual(t, first, max, "the piece's files fit in the cache")
	require.Greater(t, len(info.Files)-first, max, "more files are written after it than the cache holds")

	release()
	for off := int64(0); off < info.Length; off += 500 { // opens after the release evict
		_, err = s.ReadAt(buf[:10], off)
		require.NoError(t, err)
	}
	s.mu.Lock()
	held, pinned := len(s.cache.byIndex), s.pinned
	s.mu.Unlock()
	assert.LessOrEqual(t, held, max, "released handles are evicted again")
	assert.Zero(t, pinned)
}

// Pins never hold more than maxPinnedFactor times the cache's size.
func TestFileStoragePinBounded(t *testing.T) {
	info := manyFiles(30)
	s, err := OpenFiles(t.TempDir(), info, FileOptions{MaxOpenFiles: 1})
	require.NoError(t, err)
	defer s.Close()
	content := randomBytes(int(info.Length), 14)
	var releases []func()
	for i, f := range info.Files {
		_, err := s.WriteAt(content[f.Offset:f.Offset+f.Length], f.Offset)
		require.NoError(t, err)
		releases = append(releases, s.Pin(f.Offset, f.Length))
		s.mu.Lock()
		assert.LessOrEqual(t, s.pinned, maxPinnedFactor, "after file %d", i)
		s.mu.Unlock()
	}
	for _, r := range releases {
		r()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Zero(t, s.pinned)
}
