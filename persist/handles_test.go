//go:build !js

package persist

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// counter counts what a FileStorage does to the disk: opens per path and
// syncs (whole filesystem or one file).
type counter struct {
	mu     sync.Mutex
	opens  map[string]int
	whole  int
	single int
	fail   error // returned by the next syncs while set
}

func countOps(s *FileStorage) *counter {
	c := &counter{opens: make(map[string]int)}
	open, sync := s.opener, s.syncer
	s.opener = func(name string, flag int, perm fs.FileMode) (*os.File, error) {
		c.mu.Lock()
		c.opens[name]++
		c.mu.Unlock()
		return open(name, flag, perm)
	}
	s.syncer = func(f *os.File, whole bool) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if whole {
			c.whole++
		} else {
			c.single++
		}
		if c.fail != nil {
			return c.fail
		}
		return sync(f, whole)
	}
	return c
}

func (c *counter) snapshot() (opens map[string]int, whole, single int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	opens = make(map[string]int, len(c.opens))
	for k, v := range c.opens {
		opens[k] = v
	}
	return opens, c.whole, c.single
}

// manyFiles is a torrent of n small files in nested folders, with pieces
// spanning several files.
func manyFiles(n int) *metainfo.Info {
	var files []metainfo.File
	for i := range n {
		files = append(files, file(int64(100+i*37%900), "d"+string(rune('a'+i%3)), "e"+string(rune('a'+i%2)), "f"+string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	info := handInfo("t", true, files...)
	info.PieceLength = 4096
	return info
}

func TestFileStorageOneOpenPerFile(t *testing.T) {
	dir := t.TempDir()
	info := manyFiles(40)
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)

	content := randomBytes(int(info.Length), 11)
	pl := int(info.PieceLength)
	buf := make([]byte, pl)
	// As a download does: write each piece in blocks, read it back whole
	// (the hasher), then read parts of it again (uploads), and sync.
	for off := 0; off < len(content); off += pl {
		end := min(off+pl, len(content))
		for b := off; b < end; b += 1000 {
			_, err := s.WriteAt(content[b:min(b+1000, end)], int64(b))
			require.NoError(t, err)
		}
		n, err := s.ReadAt(buf[:end-off], int64(off))
		require.NoError(t, err)
		require.Equal(t, content[off:end], buf[:n])
		require.NoError(t, s.Sync())
	}
	for off := len(content) - 300; off > 0; off -= 700 {
		_, err := s.ReadAt(buf[:300], int64(off))
		require.NoError(t, err)
		require.Equal(t, content[off:off+300], buf[:300])
	}
	require.NoError(t, s.Sync())

	opens, _, _ := c.snapshot()
	require.Len(t, opens, len(info.Files), "every file opened")
	for _, p := range s.Paths() {
		assert.Equal(t, 1, opens[p], "%s opened once for writes, reads and syncs", p)
	}
}

func TestFileStorageReadFirstThenWriteKeepsOneHandle(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", true, file(100, "a"), file(50, "b"))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "t"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t", "a"), make([]byte, 10), 0o644))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)

	_, err = s.ReadAt(make([]byte, 5), 0)
	require.NoError(t, err, "a short file reads where it has data")
	_, err = s.WriteAt([]byte("hello"), 90)
	require.NoError(t, err)
	got := make([]byte, 5)
	_, err = s.ReadAt(got, 90)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
	assert.Equal(t, int64(100), s.FileStates()[0].Size, "the first write extends the file")
	opens, _, _ := c.snapshot()
	assert.Equal(t, map[string]int{filepath.Join(dir, "t", "a"): 1}, opens)
}

func TestFileStorageLRUReopensEvicted(t *testing.T) {
	dir := t.TempDir()
	info := manyFiles(6)
	s, err := OpenFiles(dir, info, FileOptions{MaxOpenFiles: 2})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)
	content := randomBytes(int(info.Length), 12)
	_, err = s.WriteAt(content, 0)
	require.NoError(t, err)
	got := make([]byte, len(content))
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	opens, _, _ := c.snapshot()
	for _, p := range s.Paths() {
		assert.Equal(t, 2, opens[p], "%s: evicted after its write, opened again to read", p)
	}
	s.mu.Lock()
	assert.LessOrEqual(t, len(s.cache.byIndex), 2)
	s.mu.Unlock()
}

func TestFileStorageDirectoriesCheckedOnce(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dl")
	outside := filepath.Join(root, "outside")
	require.NoError(t, os.MkdirAll(outside, 0o755))
	info := handInfo("t", true, file(10, "sub", "f1"), file(10, "sub", "f2"), file(10, "other", "g"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()

	_, err = s.WriteAt(make([]byte, 10), 0)
	require.NoError(t, err)
	s.mu.Lock()
	for _, d := range []string{dir, filepath.Join(dir, "t"), filepath.Join(dir, "t", "sub")} {
		assert.True(t, s.dirs[d], "%s remembered once made", d)
	}
	assert.False(t, s.dirs[filepath.Join(dir, "t", "other")], "not seen yet")
	s.mu.Unlock()

	// A link planted where no directory was seen yet is still refused.
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "t", "other")))
	_, err = s.WriteAt(make([]byte, 10), 20)
	require.ErrorIs(t, err, ErrUnsafePath)
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries)

	// So is a link planted in place of a file not yet opened, in a
	// directory already seen.
	victim := filepath.Join(outside, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(dir, "t", "sub", "f2")))
	_, err = s.WriteAt(make([]byte, 10), 10)
	require.ErrorIs(t, err, ErrUnsafePath)
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))

	// Paths that leave dir are refused when the storage opens, as ever.
	_, err = OpenFiles(dir, handInfo("t", true, file(1, "..", "x")), FileOptions{})
	require.ErrorIs(t, err, ErrUnsafePath)
}

func TestFileStorageSyncRule(t *testing.T) {
	dir := t.TempDir()
	info := manyFiles(syncWholeFrom + 4)
	s, err := OpenFiles(dir, info, FileOptions{MaxOpenFiles: 3})
	require.NoError(t, err)
	defer s.Close()
	c := countOps(s)

	require.NoError(t, s.Sync())
	opens, whole, single := c.snapshot()
	assert.Empty(t, opens, "nothing written: no work")
	assert.Zero(t, whole+single)

	content := randomBytes(int(info.Length), 13)
	_, err = s.WriteAt(content, 0)
	require.NoError(t, err)
	require.NoError(t, s.Sync())
	_, whole, single = c.snapshot()
	if syncByFilesystem {
		assert.Equal(t, 1, whole, "many files on one filesystem, one syncfs")
		assert.Zero(t, single)
	} else {
		assert.Zero(t, whole)
		assert.Equal(t, len(info.Files), single, "each written file, evicted ones too")
	}
	s.mu.Lock()
	assert.Empty(t, s.dirty)
	s.mu.Unlock()

	// Nothing new: nothing to do.
	require.NoError(t, s.Sync())
	_, whole2, single2 := c.snapshot()
	assert.Equal(t, whole+single, whole2+single2)

	// A few files written: each is fsynced, the filesystem is left alone.
	for _, f := range info.Files[:3] {
		_, err = s.WriteAt([]byte{2}, f.Offset)
		require.NoError(t, err)
	}
	require.NoError(t, s.Sync())
	_, whole3, single3 := c.snapshot()
	assert.Equal(t, whole2, whole3)
	assert.Equal(t, single2+3, single3)
	content[0], content[info.Files[1].Offset], content[info.Files[2].Offset] = 2, 2, 2

	// A failed sync keeps the files marked for the next one.
	_, err = s.WriteAt([]byte{1}, 0)
	require.NoError(t, err)
	c.mu.Lock()
	c.fail = errors.New("disk gone")
	c.mu.Unlock()
	require.Error(t, s.Sync())
	s.mu.Lock()
	assert.True(t, s.dirty[0])
	s.mu.Unlock()
	c.mu.Lock()
	c.fail = nil
	c.mu.Unlock()
	require.NoError(t, s.Sync())
	s.mu.Lock()
	assert.Empty(t, s.dirty)
	s.mu.Unlock()

	got, err := os.ReadFile(s.Paths()[1])
	require.NoError(t, err)
	assert.Equal(t, content[info.Files[1].Offset:info.Files[1].Offset+info.Files[1].Length], got)
}

func TestFileStorageSyncPrefersOpenHandle(t *testing.T) {
	if !syncByFilesystem {
		t.Skip("syncs file by file here")
	}
	dir := t.TempDir()
	info := manyFiles(syncWholeFrom + 2)
	s, err := OpenFiles(dir, info, FileOptions{MaxOpenFiles: 2})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.WriteAt(randomBytes(int(info.Length), 14), 0)
	require.NoError(t, err)
	c := countOps(s)
	require.NoError(t, s.Sync())
	opens, whole, _ := c.snapshot()
	assert.Empty(t, opens, "syncfs goes through a handle still open")
	assert.Equal(t, 1, whole)
}

func TestFileStoragePaddingPathsMayRepeat(t *testing.T) {
	dir := t.TempDir()
	pad := func(n int64) metainfo.File {
		return metainfo.File{Path: []string{".pad", "7"}, Length: n, Padding: true}
	}
	info := handInfo("t", true, file(9, "a"), pad(7), file(9, "b"), pad(7), file(3, "c"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err, "libtorrent names padding files by size, so paths repeat")
	defer s.Close()
	data := []byte("aaaaaaaaa\x00\x00\x00\x00\x00\x00\x00bbbbbbbbb\x00\x00\x00\x00\x00\x00\x00ccc")
	_, err = s.WriteAt(data, 0)
	require.NoError(t, err)
	got := make([]byte, len(data))
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = os.Stat(filepath.Join(dir, "t", ".pad"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = OpenFiles(dir, handInfo("t", true, file(1, "a"), file(1, "a")), FileOptions{})
	require.ErrorIs(t, err, ErrUnsafePath, "real files still may not share a path")
}

func TestFileStatesReadAgainOnlyAfterWrites(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", true, file(10, "a"), file(10, "b"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, []FileState{{Size: -1}, {Size: -1}}, s.FileStates())
	_, err = s.WriteAt([]byte{1}, 0)
	require.NoError(t, err)
	st := s.FileStates()
	assert.Equal(t, int64(10), st[0].Size)
	assert.NotZero(t, st[0].MTime)
	assert.Equal(t, int64(-1), st[1].Size)
	_, err = s.WriteAt([]byte{1}, 15)
	require.NoError(t, err)
	assert.Equal(t, int64(10), s.FileStates()[1].Size)
}
