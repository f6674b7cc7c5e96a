//go:build !js

package persist

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// handInfo builds an Info directly, bypassing metainfo's checks, so the
// storage's own defences can be tested.
func handInfo(name string, multi bool, files ...metainfo.File) *metainfo.Info {
	info := &metainfo.Info{Name: name, PieceLength: 16 << 10, MultiFile: multi}
	for _, f := range files {
		f.Offset = info.Length
		info.Length += f.Length
		info.Files = append(info.Files, f)
	}
	return info
}

func file(length int64, path ...string) metainfo.File {
	return metainfo.File{Path: path, Length: length}
}

func TestFileStorageMultiFileMapping(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("album", true,
		file(5, "a"),
		file(0, "empty1"),
		file(7, "sub", "b"),
		file(0, "sub", "empty2"),
		file(0, "empty3"),
		file(20, "sub", "deep", "c"),
		file(1, "d"),
	)
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()

	paths := s.Paths()
	require.Len(t, paths, 7)
	assert.Equal(t, filepath.Join(dir, "album", "sub", "deep", "c"), paths[5])
	for _, i := range []int{1, 3, 4} {
		fi, err := os.Stat(paths[i])
		require.NoError(t, err, "zero-length file %d is created at open", i)
		assert.Equal(t, int64(0), fi.Size())
	}
	_, err = os.Stat(paths[0])
	require.ErrorIs(t, err, fs.ErrNotExist, "data files appear on first write")

	content := randomBytes(int(info.Length), 1)
	// Write in chunks that straddle every boundary.
	for _, c := range [][2]int{{0, 3}, {3, 6}, {9, 10}, {19, 7}, {26, 7}} {
		n, err := s.WriteAt(content[c[0]:c[0]+c[1]], int64(c[0]))
		require.NoError(t, err)
		require.Equal(t, c[1], n)
	}
	for i, f := range info.Files {
		b, err := os.ReadFile(paths[i])
		require.NoError(t, err)
		assert.Equal(t, content[f.Offset:f.Offset+f.Length], b, "file %d on disk", i)
	}
	for off := 0; off < len(content); off++ {
		for _, n := range []int{1, 4, 13, len(content) - off} {
			if off+n > len(content) {
				continue
			}
			buf := make([]byte, n)
			got, err := s.ReadAt(buf, int64(off))
			require.NoError(t, err)
			require.Equal(t, n, got)
			require.Equal(t, content[off:off+n], buf, "read %d at %d", n, off)
		}
	}

	// Reads past the end follow io.ReaderAt.
	buf := make([]byte, 10)
	n, err := s.ReadAt(buf, info.Length-4)
	assert.Equal(t, 4, n)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, content[len(content)-4:], buf[:4])
	n, err = s.ReadAt(buf, info.Length)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
	_, err = s.ReadAt(buf, -1)
	assert.ErrorIs(t, err, ErrOutOfRange)

	// Writes past the end are refused whole.
	n, err = s.WriteAt(make([]byte, 10), info.Length-4)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, ErrOutOfRange)
	_, err = s.WriteAt([]byte{1}, -1)
	assert.ErrorIs(t, err, ErrOutOfRange)
	check := make([]byte, 4)
	_, err = s.ReadAt(check, info.Length-4)
	require.NoError(t, err)
	assert.Equal(t, content[len(content)-4:], check)

	states := s.FileStates()
	for i, f := range info.Files {
		assert.Equal(t, f.Length, states[i].Size)
		assert.NotZero(t, states[i].MTime)
	}
	require.NoError(t, s.Sync())
}

func TestFileStorageSingleFile(t *testing.T) {
	dir := t.TempDir()
	mi, content := makeTorrent(t, "movie.mkv", true, 16<<10, metainfo.FileSpec{Path: []string{"movie.mkv"}, Length: 40_000})
	s, err := OpenFiles(dir, mi.Info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, []string{filepath.Join(dir, "movie.mkv")}, s.Paths())
	assert.Equal(t, []FileState{{Size: -1}}, s.FileStates())
	_, err = s.WriteAt(content, 0)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "movie.mkv"))
	require.NoError(t, err)
	assert.Equal(t, content, b)
}

func TestFileStorageMissingAndUnwritten(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", true, file(100, "x"), file(100, "y"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()

	buf := make([]byte, 10)
	_, err = s.ReadAt(buf, 5)
	require.ErrorIs(t, err, fs.ErrNotExist, "a missing file reads as absent")
	assert.Equal(t, []FileState{{Size: -1}, {Size: -1}}, s.FileStates())

	_, err = s.WriteAt([]byte("hello"), 150)
	require.NoError(t, err)
	// Never-written regions of an existing file read as zeros.
	for i := range buf {
		buf[i] = 0xaa
	}
	_, err = s.ReadAt(buf, 100)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 10), buf)
	_, err = s.ReadAt(buf, 95)
	require.ErrorIs(t, err, fs.ErrNotExist, "a read reaching into the missing file fails")
}

func TestFileStorageShortFileOnDisk(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", false, file(100, "t"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t"), make([]byte, 40), 0o644))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.ReadAt(make([]byte, 10), 50)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	// The first write extends it to its length.
	_, err = s.WriteAt([]byte{1}, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(100), s.FileStates()[0].Size)
}

func TestOpenFilesUnsafePaths(t *testing.T) {
	cases := map[string]*metainfo.Info{
		"dotdot name":        handInfo("..", true, file(1, "a")),
		"dot name":           handInfo(".", true, file(1, "a")),
		"dotdot component":   handInfo("t", true, file(1, "..", "escape")),
		"dotdot last":        handInfo("t", true, file(1, "sub", "..")),
		"slash in component": handInfo("t", true, file(1, "a/../../b")),
		"backslash":          handInfo("t", true, file(1, `..\..\b`)),
		"absolute":           handInfo("t", true, file(1, "/etc/passwd")),
		"empty component":    handInfo("t", true, file(1, "a", "", "b")),
		"empty path":         handInfo("t", true, metainfo.File{Length: 1}),
		"NUL":                handInfo("t", true, file(1, "a\x00b")),
		"drive letter":       handInfo("t", true, file(1, "C:", "x")),
		"drive relative":     handInfo("t", true, file(1, "c:x")),
		"too long":           handInfo("t", true, file(1, strings.Repeat("x", 256))),
		"single dotdot":      handInfo("..", false, file(1, "..")),
		"single absolute":    handInfo("/tmp/x", false, file(1, "/tmp/x")),
		"duplicate":          handInfo("t", true, file(1, "a"), file(1, "a")),
		"file is a dir":      handInfo("t", true, file(1, "a"), file(1, "a", "b")),
		"dir is a file":      handInfo("t", true, file(1, "a", "b"), file(1, "a")),
	}
	for name, info := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := OpenFiles(dir, info, FileOptions{})
			require.ErrorIs(t, err, ErrUnsafePath)
			assert.Nil(t, s)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing created")
		})
	}
}

func TestOpenFilesSymlinks(t *testing.T) {
	type setup func(t *testing.T, dir, outside string)
	link := func(target, at string) setup {
		return func(t *testing.T, dir, outside string) {
			target := strings.ReplaceAll(strings.ReplaceAll(target, "$OUT", outside), "$DIR", dir)
			at := filepath.Join(dir, at)
			require.NoError(t, os.MkdirAll(filepath.Dir(at), 0o755))
			require.NoError(t, os.Symlink(target, at))
		}
	}
	info := handInfo("t", true, file(10, "sub", "f"), file(10, "g"))
	refused := map[string]setup{
		"torrent dir links outside":    link("$OUT", "t"),
		"subdir links outside":         link("$OUT", "t/sub"),
		"relative link outside":        link("../../"+"outside", "t/sub"),
		"file links outside":           link("$OUT/victim", "t/g"),
		"dangling link":                link("$DIR/nowhere/at/all", "t/sub"),
		"link to a link outside":       func(t *testing.T, d, o string) { link("$OUT", "hop")(t, d, o); link("$DIR/hop", "t")(t, d, o) },
		"file is a directory on disk":  func(t *testing.T, d, o string) { require.NoError(t, os.MkdirAll(filepath.Join(d, "t", "g"), 0o755)) },
		"file links to outside victim": link("$OUT/victim", "t/sub/f"),
	}
	for name, prepare := range refused {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "dl")
			outside := filepath.Join(root, "outside")
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.MkdirAll(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("keep"), 0o644))
			prepare(t, dir, outside)
			_, err := OpenFiles(dir, info, FileOptions{})
			require.ErrorIs(t, err, ErrUnsafePath)
			b, err := os.ReadFile(filepath.Join(outside, "victim"))
			require.NoError(t, err)
			assert.Equal(t, "keep", string(b))
		})
	}

	t.Run("link inside dir is followed", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "real"), 0o755))
		require.NoError(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "t")))
		s, err := OpenFiles(dir, info, FileOptions{})
		require.NoError(t, err)
		defer s.Close()
		_, err = s.WriteAt([]byte("0123456789abcdefghij"), 0)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, "real", "sub", "f"))
		require.NoError(t, err)
		assert.Equal(t, "0123456789", string(b))
	})

	t.Run("download dir itself may be a link", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(root, "real"), 0o755))
		require.NoError(t, os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "dl")))
		s, err := OpenFiles(filepath.Join(root, "dl"), info, FileOptions{})
		require.NoError(t, err)
		defer s.Close()
		_, err = s.WriteAt(make([]byte, 20), 0)
		require.NoError(t, err)
	})

	t.Run("download dir below a link, created later", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(root, "real"), 0o755))
		require.NoError(t, os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "via")))
		dir := filepath.Join(root, "via", "not", "yet")
		s, err := OpenFiles(dir, info, FileOptions{})
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "elsewhere"), 0o755))
		require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "t")))
		_, err = s.WriteAt(make([]byte, 20), 0)
		require.NoError(t, err, "a link inside dir stays inside even though dir's path has a link")
		_, err = os.Stat(filepath.Join(root, "real", "not", "yet", "elsewhere", "g"))
		require.NoError(t, err)
	})

	t.Run("link planted after open is refused at first write", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "dl")
		outside := filepath.Join(root, "outside")
		require.NoError(t, os.MkdirAll(outside, 0o755))
		s, err := OpenFiles(dir, info, FileOptions{})
		require.NoError(t, err)
		defer s.Close()
		link("$OUT", "t/sub")(t, dir, outside)
		_, err = s.WriteAt(make([]byte, 10), 0)
		require.ErrorIs(t, err, ErrUnsafePath)
		entries, err := os.ReadDir(outside)
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
}

func TestFileStorageDeleteData(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dl")
	info := handInfo("t", true, file(10, "a"), file(0, "e"), file(10, "sub", "deep", "b"), file(10, "only", "c"))
	// Things that are not ours, placed where ours will be.
	keepers := []string{
		filepath.Join(dir, "other.txt"),
		filepath.Join(dir, "t", "sub", "user-notes.txt"),
	}
	for _, k := range keepers {
		require.NoError(t, os.MkdirAll(filepath.Dir(k), 0o755))
		require.NoError(t, os.WriteFile(k, []byte("mine"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "t", "userdir"), 0o755))

	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.WriteAt(randomBytes(30, 3), 0)
	require.NoError(t, err)
	require.NoError(t, s.DeleteData())

	for _, p := range s.Paths() {
		_, err := os.Lstat(p)
		assert.ErrorIs(t, err, fs.ErrNotExist, p)
	}
	for _, gone := range []string{"t/sub/deep", "t/only"} {
		_, err := os.Lstat(filepath.Join(dir, gone))
		assert.ErrorIs(t, err, fs.ErrNotExist, gone)
	}
	for _, k := range keepers {
		b, err := os.ReadFile(k)
		require.NoError(t, err)
		assert.Equal(t, "mine", string(b))
	}
	for _, kept := range []string{"t", "t/sub", "t/userdir"} {
		fi, err := os.Stat(filepath.Join(dir, kept))
		require.NoError(t, err, kept)
		assert.True(t, fi.IsDir())
	}

	// Still usable: a write creates the file again.
	_, err = s.WriteAt([]byte{1}, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(10), s.FileStates()[0].Size)
}

func TestFileStorageDeleteDataRemovesTreeButNotDir(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", true, file(10, "a"), file(10, "x", "y", "z"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.WriteAt(make([]byte, 20), 0)
	require.NoError(t, err)
	require.NoError(t, s.DeleteData())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
	_, err = os.Stat(dir)
	require.NoError(t, err)
}

func TestFileStorageDeleteDataRefusesPlantedLink(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dl")
	outside := filepath.Join(root, "outside")
	info := handInfo("t", true, file(4, "sub", "f"), file(4, "g"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.WriteAt(make([]byte, 8), 0)
	require.NoError(t, err)

	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "f"), []byte("keep"), 0o644))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "t", "sub")))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "t", "sub")))

	err = s.DeleteData()
	require.ErrorIs(t, err, ErrUnsafePath)
	b, err := os.ReadFile(filepath.Join(outside, "f"))
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	_, err = os.Lstat(filepath.Join(dir, "t", "g"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "safe files are still removed")
}

func TestFileStorageLRU(t *testing.T) {
	dir := t.TempDir()
	var files []metainfo.File
	for i := range 10 {
		files = append(files, file(int64(1000+i*37), "f"+string(rune('0'+i))))
	}
	info := handInfo("t", true, files...)
	s, err := OpenFiles(dir, info, FileOptions{MaxOpenFiles: 2})
	require.NoError(t, err)
	defer s.Close()

	content := randomBytes(int(info.Length), 5)
	r := rand.New(rand.NewPCG(1, 2))
	written := make([]bool, len(content))
	for range 500 {
		off := r.IntN(len(content))
		n := 1 + r.IntN(min(3000, len(content)-off))
		_, err := s.WriteAt(content[off:off+n], int64(off))
		require.NoError(t, err)
		for i := off; i < off+n; i++ {
			written[i] = true
		}
		s.mu.Lock()
		open := len(s.cache.byIndex)
		s.mu.Unlock()
		require.LessOrEqual(t, open, 2)
	}
	_, err = s.WriteAt(content, 0)
	require.NoError(t, err)
	got := make([]byte, len(content))
	// Read backwards in small pieces to force every handle to cycle.
	for off := len(content) - 100; off >= 0; off -= 100 {
		_, err := s.ReadAt(got[off:off+100], int64(off))
		require.NoError(t, err)
	}
	_, err = s.ReadAt(got[:len(content)%100], 0)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	require.NoError(t, s.Sync(), "sync reaches files whose handles were evicted")
	s.mu.Lock()
	assert.Empty(t, s.dirty)
	s.mu.Unlock()
}

func TestFileStorageReadOnly(t *testing.T) {
	dir := t.TempDir()
	mi, content := makeTorrent(t, "t", false, 16<<10, multiSpecs()...)
	// Lay out the data as a finished download.
	w, err := OpenFiles(dir, mi.Info, FileOptions{})
	require.NoError(t, err)
	_, err = w.WriteAt(content, 0)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, err = w.ReadAt(make([]byte, 1), 0)
	require.ErrorIs(t, err, ErrClosed)

	for _, p := range w.Paths() {
		require.NoError(t, os.Chmod(p, 0o444))
	}
	s, err := OpenFiles(dir, mi.Info, FileOptions{ReadOnly: true})
	require.NoError(t, err)
	defer s.Close()
	got := make([]byte, len(content))
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	_, err = s.WriteAt([]byte{1}, 0)
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, s.DeleteData(), ErrReadOnly)

	// Read-only mode creates nothing, not even empty files.
	empty := t.TempDir()
	ro, err := OpenFiles(empty, mi.Info, FileOptions{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestFileStoragePadding(t *testing.T) {
	dir := t.TempDir()
	info := handInfo("t", true, file(5, "a"), metainfo.File{Path: []string{".pad", "11"}, Length: 11, Padding: true}, file(4, "b"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	data := []byte("hello\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00tail")
	_, err = s.WriteAt(data, 0)
	require.NoError(t, err)
	got := make([]byte, len(data))
	_, err = s.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = os.Stat(filepath.Join(dir, "t", ".pad"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "padding is never stored")
	assert.Equal(t, int64(-1), s.FileStates()[1].Size)
}

func TestFileStorageRejectsInconsistentInfo(t *testing.T) {
	info := handInfo("t", true, file(5, "a"), file(5, "b"))
	info.Files[1].Offset = 3
	_, err := OpenFiles(t.TempDir(), info, FileOptions{})
	require.Error(t, err)
	info = handInfo("t", true, file(5, "a"))
	info.Length = 6
	_, err = OpenFiles(t.TempDir(), info, FileOptions{})
	require.Error(t, err)
	_, err = OpenFiles(t.TempDir(), &metainfo.Info{}, FileOptions{})
	require.Error(t, err)
}

func TestFileStorageClosed(t *testing.T) {
	s, err := OpenFiles(t.TempDir(), handInfo("t", false, file(5, "t")), FileOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err = s.WriteAt([]byte{1}, 0)
	require.True(t, errors.Is(err, ErrClosed))
	require.ErrorIs(t, s.Sync(), ErrClosed)
	require.ErrorIs(t, s.DeleteData(), ErrClosed)
}
