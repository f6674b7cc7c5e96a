//go:build unix

package persist

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countLstat counts the paths a FileStorage looks at before opening.
func countLstat(s *FileStorage) func() map[string]int {
	var mu sync.Mutex
	seen := make(map[string]int)
	lstat := s.lstat
	s.lstat = func(name string) (fs.FileInfo, error) {
		mu.Lock()
		seen[name]++
		mu.Unlock()
		return lstat(name)
	}
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]int, len(seen))
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

// A download writes well ahead of its hasher: every piece is written
// before the first is read back. Each file is still opened once, and its
// path is not looked at before the create: only its directories are, once.
func TestFileStorageWriteAheadOfHashOneOpenPerFile(t *testing.T) {
	dir := t.TempDir()
	info := manyFiles(200)
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)
	looked := countLstat(s)

	content := randomBytes(int(info.Length), 12)
	for b := 0; b < len(content); b += 1000 {
		_, err := s.WriteAt(content[b:min(b+1000, len(content))], int64(b))
		require.NoError(t, err)
	}
	pl := int(info.PieceLength)
	buf := make([]byte, pl)
	for off := 0; off < len(content); off += pl {
		end := min(off+pl, len(content))
		n, err := s.ReadAt(buf[:end-off], int64(off))
		require.NoError(t, err)
		require.Equal(t, content[off:end], buf[:n])
	}
	require.NoError(t, s.Sync())

	opens, _, _ := c.snapshot()
	require.Len(t, opens, len(info.Files))
	for _, p := range s.Paths() {
		assert.Equal(t, 1, opens[p], "%s opened once for its writes and the hash read", p)
	}
	dirs := make(map[string]bool)
	for _, p := range s.Paths() {
		for d := filepath.Dir(p); d != dir; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	for p, n := range looked() {
		assert.True(t, dirs[p], "%s looked at before its create (%d times): only directories are", p, n)
		assert.Equal(t, 1, n, "directory %s looked at once", p)
	}
}

// What is planted where a file is about to be created is judged as at
// open: a symlink leading outside dir and a FIFO are refused, a symlink
// inside dir is followed.
func TestFileStorageCreateRefusesPlantedEntries(t *testing.T) {
	info := handInfo("t", true, file(10, "sub", "f"), file(10, "g"))
	setup := func(t *testing.T) (s *FileStorage, dir, outside string) {
		root := t.TempDir()
		dir = filepath.Join(root, "dl")
		outside = filepath.Join(root, "outside")
		require.NoError(t, os.MkdirAll(outside, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("keep"), 0o644))
		s, err := OpenFiles(dir, info, FileOptions{})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "t", "sub"), 0o755))
		return s, dir, outside
	}

	t.Run("link to outside", func(t *testing.T) {
		s, dir, outside := setup(t)
		require.NoError(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, "t", "sub", "f")))
		_, err := s.WriteAt(make([]byte, 10), 0)
		require.ErrorIs(t, err, ErrUnsafePath)
		b, err := os.ReadFile(filepath.Join(outside, "victim"))
		require.NoError(t, err)
		assert.Equal(t, "keep", string(b))
	})
	t.Run("dangling link", func(t *testing.T) {
		s, dir, outside := setup(t)
		require.NoError(t, os.Symlink(filepath.Join(outside, "new"), filepath.Join(dir, "t", "sub", "f")))
		_, err := s.WriteAt(make([]byte, 10), 0)
		require.ErrorIs(t, err, ErrUnsafePath)
		_, err = os.Lstat(filepath.Join(outside, "new"))
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
	t.Run("fifo", func(t *testing.T) {
		s, dir, _ := setup(t)
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "t", "g"), 0o644))
		_, err := s.WriteAt(make([]byte, 10), 10)
		require.ErrorIs(t, err, ErrUnsafePath)
	})
	t.Run("link inside dir is followed", func(t *testing.T) {
		s, dir, _ := setup(t)
		real := filepath.Join(dir, "t", "real-g")
		require.NoError(t, os.WriteFile(real, nil, 0o644))
		require.NoError(t, os.Symlink(real, filepath.Join(dir, "t", "g")))
		_, err := s.WriteAt([]byte("0123456789"), 10)
		require.NoError(t, err)
		b, err := os.ReadFile(real)
		require.NoError(t, err)
		assert.Equal(t, "0123456789", string(b))
	})
}
