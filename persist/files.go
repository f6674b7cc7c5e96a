//go:build !js

package persist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/braid-bt/braid/core/metainfo"
)

// DefaultMaxOpenFiles bounds open handles when FileOptions leaves it zero;
// many-file torrents would otherwise exhaust descriptors.
const DefaultMaxOpenFiles = 64

// ErrReadOnly is returned when a read-only FileStorage is asked to change data.
var ErrReadOnly = errors.New("persist: storage is read-only")

// FileOptions tunes a FileStorage.
type FileOptions struct {
	MaxOpenFiles int  // LRU of open handles; DefaultMaxOpenFiles when <= 0
	ReadOnly     bool // seed existing data: never create, extend or remove files
}

// diskFile is one torrent file mapped onto the disk.
type diskFile struct {
	path   string // absolute
	offset int64  // in the torrent's byte stream
	length int64
	// padding files (BEP 47) hold zeros only to align the next file; they
	// are never created: writes to them are dropped and reads give zeros.
	padding bool
}

// FileStorage maps the torrent's byte stream onto its files under
// dir/<name>/... (multi-file) or dir/<name> (single-file). Reads and writes
// may span file boundaries and run concurrently.
type FileStorage struct {
	dir      string // absolute, clean
	realDir  string // dir with symlinks resolved (dir itself may be a link)
	topDir   string // dir/<name> for multi-file torrents, "" otherwise
	files    []diskFile
	total    int64
	readOnly bool

	mu     sync.Mutex
	cache  *handleCache
	dirty  map[int]bool // written since the last Sync
	closed bool
}

var _ Storage = (*FileStorage)(nil)

// OpenFiles validates every path of info against dir and returns a storage
// for it. Nothing is written except zero-length files, which are created now
// unless opts.ReadOnly; other files and their directories appear on first write.
func OpenFiles(dir string, info *metainfo.Info, opts FileOptions) (*FileStorage, error) {
	if info == nil || len(info.Files) == 0 {
		return nil, errors.New("persist: open files: info has no files")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("persist: open files: %w", err)
	}
	s := &FileStorage{
		dir:      abs,
		realDir:  resolveExisting(abs),
		readOnly: opts.ReadOnly,
		dirty:    make(map[int]bool),
	}
	max := opts.MaxOpenFiles
	if max <= 0 {
		max = DefaultMaxOpenFiles
	}
	s.cache = newHandleCache(max)
	if info.MultiFile {
		if err := checkName(info.Name); err != nil {
			return nil, err
		}
		s.topDir = filepath.Join(abs, info.Name)
	}

	filePaths := make(map[string]int, len(info.Files))
	dirPaths := make(map[string]bool)
	var off int64
	for i, f := range info.Files {
		if f.Length < 0 || f.Offset != off || off > (1<<62)-f.Length {
			return nil, fmt.Errorf("persist: file %d: length %d at offset %d does not follow %d", i, f.Length, f.Offset, off)
		}
		p, err := s.mapPath(info, f.Path)
		if err != nil {
			return nil, fmt.Errorf("persist: file %d: %w", i, err)
		}
		if j, dup := filePaths[p]; dup {
			return nil, fmt.Errorf("persist: files %d and %d share path %s: %w", j, i, p, ErrUnsafePath)
		}
		if dirPaths[p] {
			return nil, fmt.Errorf("persist: file %d path %s is also a directory: %w", i, p, ErrUnsafePath)
		}
		filePaths[p] = i
		for d := filepath.Dir(p); d != abs && within(abs, d); d = filepath.Dir(d) {
			if j, clash := filePaths[d]; clash {
				return nil, fmt.Errorf("persist: file %d path %s is a directory of file %d: %w", j, d, i, ErrUnsafePath)
			}
			dirPaths[d] = true
		}
		if err := s.checkOnDisk(p); err != nil {
			return nil, fmt.Errorf("persist: file %d: %w", i, err)
		}
		s.files = append(s.files, diskFile{path: p, offset: off, length: f.Length, padding: f.Padding})
		off += f.Length
	}
	if off != info.Length {
		return nil, fmt.Errorf("persist: files total %d bytes, info says %d", off, info.Length)
	}
	s.total = off

	if !s.readOnly {
		for i, f := range s.files {
			if f.length == 0 && !f.padding {
				if err := s.createEmpty(i); err != nil {
					return nil, err
				}
			}
		}
	}
	return s, nil
}

// resolveExisting resolves the symlinks in the part of p that exists, so a
// download dir that is itself a link, or lies below one, compares correctly
// with resolved link targets even before it is created.
func resolveExisting(p string) string {
	var rest []string
	for cur := p; ; cur = filepath.Dir(cur) {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			slices.Reverse(rest)
			return filepath.Join(append([]string{real}, rest...)...)
		}
		if filepath.Dir(cur) == cur {
			return p
		}
		rest = append(rest, filepath.Base(cur))
	}
}

func checkName(c string) error {
	if err := metainfo.ValidatePathComponent(c); err != nil {
		return fmt.Errorf("persist: name %q: %w: %w", c, ErrUnsafePath, err)
	}
	if err := checkComponent(c); err != nil {
		return fmt.Errorf("persist: name: %w", err)
	}
	return nil
}

// mapPath turns a torrent file path into an absolute path inside dir.
func (s *FileStorage) mapPath(info *metainfo.Info, path []string) (string, error) {
	if len(path) == 0 {
		return "", fmt.Errorf("empty path: %w", ErrUnsafePath)
	}
	comps := path
	if info.MultiFile {
		comps = append([]string{info.Name}, path...)
	}
	for _, c := range comps {
		if err := metainfo.ValidatePathComponent(c); err != nil {
			return "", fmt.Errorf("path component %q: %w: %w", c, ErrUnsafePath, err)
		}
		if err := checkComponent(c); err != nil {
			return "", err
		}
	}
	p := filepath.Join(append([]string{s.dir}, comps...)...)
	if p == s.dir || !within(s.dir, p) {
		return "", fmt.Errorf("path %q leaves %s: %w", strings.Join(comps, "/"), s.dir, ErrUnsafePath)
	}
	return p, nil
}

// checkOnDisk walks the existing components of p below dir and refuses a
// symlink that resolves outside dir (or nowhere: creating through a dangling
// link would write wherever it points) and a final entry that is not a
// regular file. It runs before every open to keep the race window small.
func (s *FileStorage) checkOnDisk(p string) error {
	rel, err := filepath.Rel(s.dir, p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, ErrUnsafePath)
	}
	cur := s.dir
	comps := strings.Split(rel, string(filepath.Separator))
	for i, c := range comps {
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return fmt.Errorf("%s is a dangling symlink: %w", cur, ErrUnsafePath)
			}
			if !within(s.realDir, target) {
				return fmt.Errorf("%s is a symlink to %s outside %s: %w", cur, target, s.dir, ErrUnsafePath)
			}
			if fi, err = os.Stat(cur); err != nil {
				return err
			}
		}
		if i == len(comps)-1 && !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%v): %w", cur, fi.Mode().Type(), ErrUnsafePath)
		}
	}
	return nil
}

func (s *FileStorage) createEmpty(i int) error {
	p := s.files[i].path
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	return f.Close()
}

// open opens file i: for writing it creates the file and its directories and
// extends it, sparsely, to its length; for reading a missing file is an
// error wrapping fs.ErrNotExist. Called with s.mu held.
func (s *FileStorage) open(i int, write bool) (*os.File, bool, error) {
	df := &s.files[i]
	if err := s.checkOnDisk(df.path); err != nil {
		return nil, false, err
	}
	if !write {
		if !s.readOnly {
			// Read-write when allowed, so a later write reuses the handle.
			f, err := os.OpenFile(df.path, os.O_RDWR, 0)
			if err == nil {
				return f, true, nil
			}
			if !errors.Is(err, fs.ErrPermission) {
				return nil, false, err
			}
		}
		f, err := os.Open(df.path)
		return f, false, err
	}
	if err := os.MkdirAll(filepath.Dir(df.path), 0o755); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(df.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, err
	}
	if err := extend(f, df.length); err != nil {
		f.Close()
		return nil, false, err
	}
	return f, true, nil
}

// extend grows a file to its length the first time it is opened for writing,
// sparsely: no zeros are written.
func extend(f *os.File, length int64) error {
	fi, err := f.Stat()
	if err == nil && fi.Size() < length {
		err = f.Truncate(length)
	}
	return err
}

// acquire returns a referenced handle for file i; release it when done.
func (s *FileStorage) acquire(i int, write bool) (*handle, error) {
	if write && s.readOnly {
		return nil, ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	h := s.cache.get(i)
	if h != nil && write && h.writable && !h.extended {
		// Opened by a read; the first write extends the file first.
		if err := extend(h.f, s.files[i].length); err != nil {
			return nil, err
		}
		h.extended = true
	}
	if h != nil && (h.writable || !write) {
		h.refs++
		if write {
			s.dirty[i] = true
		}
		return h, nil
	}
	if h != nil {
		s.drop(h) // read-only handle; reopen for writing
	}
	f, writable, err := s.open(i, write)
	if err != nil {
		return nil, err
	}
	h = &handle{f: f, idx: i, writable: writable, extended: write, refs: 1}
	for _, old := range s.cache.add(h) {
		s.dropLocked(old)
	}
	if write {
		s.dirty[i] = true
	}
	return h, nil
}

func (s *FileStorage) release(h *handle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.refs--
	if h.dropped && h.refs == 0 {
		h.f.Close()
	}
}

// drop removes h from the cache and closes it once unused. s.mu held.
func (s *FileStorage) drop(h *handle) error {
	s.cache.remove(h)
	return s.dropLocked(h)
}

func (s *FileStorage) dropLocked(h *handle) error {
	h.dropped = true
	if h.refs == 0 {
		return h.f.Close()
	}
	return nil
}

// fileAt is the index of the first file holding byte off, skipping
// zero-length files. off must be in [0, total).
func (s *FileStorage) fileAt(off int64) int {
	return sort.Search(len(s.files), func(i int) bool {
		return s.files[i].offset+s.files[i].length > off
	})
}

// ReadAt follows io.ReaderAt. Regions never written read as zeros; a missing
// file gives an error wrapping fs.ErrNotExist, which callers treat as
// "piece absent".
func (s *FileStorage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("persist: read at %d: %w", off, ErrOutOfRange)
	}
	if off >= s.total {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > s.total-off {
		want = int(s.total - off)
	}
	n := 0
	for i := s.fileAt(off); n < want; i++ {
		df := &s.files[i]
		if df.length == 0 {
			continue
		}
		fileOff := off + int64(n) - df.offset
		chunk := min(int64(want-n), df.length-fileOff)
		if df.padding {
			clear(p[n : n+int(chunk)])
			n += int(chunk)
			continue
		}
		h, err := s.acquire(i, false)
		if err != nil {
			return n, fmt.Errorf("persist: read: %w", err)
		}
		m, err := h.f.ReadAt(p[n:n+int(chunk)], fileOff)
		s.release(h)
		n += m
		if err == io.EOF {
			return n, fmt.Errorf("persist: read %s: shorter than %d bytes: %w", df.path, df.length, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return n, fmt.Errorf("persist: read: %w", err)
		}
	}
	if want < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off across as many files as it covers. A write past
// the end of the torrent is refused whole. OS errors are wrapped, so
// errors.Is(err, syscall.ENOSPC) works.
func (s *FileStorage) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > s.total || int64(len(p)) > s.total-off {
		return 0, fmt.Errorf("persist: write %d bytes at %d of %d: %w", len(p), off, s.total, ErrOutOfRange)
	}
	if s.readOnly {
		return 0, ErrReadOnly
	}
	n := 0
	for i := s.fileAt(off); n < len(p); i++ {
		df := &s.files[i]
		if df.length == 0 {
			continue
		}
		fileOff := off + int64(n) - df.offset
		chunk := min(int64(len(p)-n), df.length-fileOff)
		if df.padding {
			n += int(chunk)
			continue
		}
		h, err := s.acquire(i, true)
		if err != nil {
			return n, fmt.Errorf("persist: write: %w", err)
		}
		m, err := h.f.WriteAt(p[n:n+int(chunk)], fileOff)
		s.release(h)
		n += m
		if err != nil {
			return n, fmt.Errorf("persist: write: %w", err)
		}
	}
	return n, nil
}

// Sync fsyncs every file written since the last Sync, including files whose
// handles the LRU has since closed.
func (s *FileStorage) Sync() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	var idx []int
	for i := range s.dirty {
		idx = append(idx, i)
	}
	clear(s.dirty)
	s.mu.Unlock()
	slices.Sort(idx)

	var errs []error
	for _, i := range idx {
		h, err := s.acquire(i, false)
		if err == nil {
			err = h.f.Sync()
			s.release(h)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("persist: sync %s: %w", s.files[i].path, err))
			s.mu.Lock()
			s.dirty[i] = true
			s.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// Close closes every handle; handles in use close when their I/O ends.
// Data is not fsynced: call Sync first when durability matters.
func (s *FileStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeAllLocked()
}

func (s *FileStorage) closeAllLocked() error {
	var errs []error
	for _, h := range s.cache.all() {
		if err := s.drop(h); err != nil {
			errs = append(errs, fmt.Errorf("persist: close: %w", err))
		}
	}
	return errors.Join(errs...)
}

// DeleteData removes the torrent's files and then those of the torrent's
// directories that are left empty, deepest first. It never removes dir
// itself, anything not named by the torrent, a non-empty directory, or
// anything reached through a symlink that leads outside dir. The storage stays
// usable: a later write creates the files again.
func (s *FileStorage) DeleteData() error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	_ = s.closeAllLocked() // close errors don't matter for files about to go
	clear(s.dirty)

	var errs []error
	dirs := make(map[string]bool)
	for _, df := range s.files {
		if df.padding {
			continue
		}
		if err := s.checkOnDisk(df.path); err != nil {
			// Reached through a bad link, or not a regular file as ours are.
			errs = append(errs, fmt.Errorf("persist: delete %s: %w", df.path, err))
			continue
		}
		if err := os.Remove(df.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("persist: delete: %w", err))
		}
		if s.topDir != "" {
			for d := filepath.Dir(df.path); within(s.topDir, d); d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
	}
	ordered := make([]string, 0, len(dirs))
	for d := range dirs {
		ordered = append(ordered, d)
	}
	// Children sort after their parents; remove in reverse.
	slices.Sort(ordered)
	for _, d := range slices.Backward(ordered) {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() {
			continue // gone, or a link we must not remove
		}
		os.Remove(d) // fails, as wanted, when something else lives there
	}
	return errors.Join(errs...)
}

// FileStates reports each file's size and modification time on disk; a
// missing file, and a padding file (never stored), has Size -1.
func (s *FileStorage) FileStates() []FileState {
	out := make([]FileState, len(s.files))
	for i, df := range s.files {
		fi, err := os.Stat(df.path)
		if df.padding || err != nil {
			out[i] = FileState{Size: -1}
			continue
		}
		out[i] = FileState{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	}
	return out
}

// Paths returns the absolute path of each file, in torrent order.
func (s *FileStorage) Paths() []string {
	out := make([]string, len(s.files))
	for i, df := range s.files {
		out[i] = df.path
	}
	return out
}

// Len is the total length of the torrent's byte stream.
func (s *FileStorage) Len() int64 { return s.total }
