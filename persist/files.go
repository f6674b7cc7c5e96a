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
	"sync"

	"github.com/braid-bt/braid/core/metainfo"
)

// DefaultMaxOpenFiles bounds open handles when FileOptions leaves it zero;
// many-file torrents would otherwise exhaust descriptors. It is large
// enough that the files a download has written but not yet hashed (the
// disk writer runs up to 4 MiB ahead of the hasher: some 170 files of
// 24 KiB) are still open when the hasher reads them back.
const DefaultMaxOpenFiles = 256

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

	// opener opens data files (openFile; tests count its calls); syncer
	// flushes a file, or with whole set its filesystem (Sync).
	opener func(name string, flag int, perm fs.FileMode) (*os.File, error)
	syncer func(f *os.File, whole bool) error
	lstat  func(name string) (fs.FileInfo, error) // os.Lstat; tests count its calls

	mu    sync.Mutex
	cache *handleCache
	dirty map[int]bool // written since the last Sync
	// devs is the filesystem of each file opened for writing (where the
	// platform says), so Sync flushes each filesystem once.
	devs map[int]uint64
	// dirs holds the directories between dir and the files, dir included,
	// that a file open found safe (checked or made): each is looked at once
	// per storage, not on every open.
	dirs map[string]bool
	// opening marks the files a caller is opening or extending now.
	opening map[int]chan struct{}
	// states is FileStates' last answer per file; it is read again for a
	// file only once a write has moved wgen past sgen.
	states     []FileState
	wgen, sgen []uint64
	pinned     int // handle references held by Pin
	closed     bool
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
		opener:   openFile,
		syncer:   syncFile,
		lstat:    os.Lstat,
		dirty:    make(map[int]bool),
		devs:     make(map[int]uint64),
		dirs:     make(map[string]bool),
		opening:  make(map[int]chan struct{}),
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
	seen := make(map[string]bool) // directories checked by this open: true if present
	var off int64
	for i, f := range info.Files {
		if f.Length < 0 || f.Offset != off || off > (1<<62)-f.Length {
			return nil, fmt.Errorf("persist: file %d: length %d at offset %d does not follow %d", i, f.Length, f.Offset, off)
		}
		p, err := s.mapPath(info, f.Path)
		if err != nil {
			return nil, fmt.Errorf("persist: file %d: %w", i, err)
		}
		s.files = append(s.files, diskFile{path: p, offset: off, length: f.Length, padding: f.Padding})
		off += f.Length
		if f.Padding {
			s.states = append(s.states, FileState{Size: -1})
			// Never stored: its path may repeat (libtorrent names padding
			// files by their size) and needs no check on disk.
			continue
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
		fi, err := s.checkOnDisk(p, seen)
		if err != nil {
			return nil, fmt.Errorf("persist: file %d: %w", i, err)
		}
		s.states = append(s.states, stateOf(fi))
	}
	if off != info.Length {
		return nil, fmt.Errorf("persist: files total %d bytes, info says %d", off, info.Length)
	}
	s.total = off
	// The checks above read every state: FileStates starts from them.
	s.wgen = make([]uint64, len(s.files))
	s.sgen = make([]uint64, len(s.files))

	if !s.readOnly {
		for i, f := range s.files {
			if f.length == 0 && !f.padding {
				if err := s.createEmpty(i); err != nil {
					return nil, err
				}
				s.wgen[i]++
			}
		}
	}
	return s, nil
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
		s.releaseAfter(h, true)
		n += m
		if err != nil {
			return n, fmt.Errorf("persist: write: %w", err)
		}
	}
	return n, nil
}

// syncWholeFrom is how many files written since the last Sync make Sync
// flush their filesystem in one call (where the platform has one) instead
// of fsyncing each.
const syncWholeFrom = 16

// Sync makes every write that completed before it durable: on Linux one
// syncfs per filesystem holding at least syncWholeFrom files written since
// the last Sync, else an fsync of each such file, including files whose
// handles the LRU has since closed. With nothing written since the last
// Sync it does nothing. On failure the files stay marked, for the next Sync.
func (s *FileStorage) Sync() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.dirty) == 0 {
		s.mu.Unlock()
		return nil
	}
	idx := make([]int, 0, len(s.dirty))
	for i := range s.dirty {
		idx = append(idx, i)
	}
	clear(s.dirty)
	slices.Sort(idx)
	// A filesystem holding many written files is flushed whole, through a
	// file still open if there is one; a few files are fsynced one by one,
	// so a torrent of a few big files never waits for other programs' data.
	type target struct {
		file  int
		whole bool
	}
	var targets []target
	byDev := make(map[uint64][]int)
	for _, i := range idx {
		dev, known := s.devs[i]
		if !syncByFilesystem || !known {
			targets = append(targets, target{i, false})
			continue
		}
		byDev[dev] = append(byDev[dev], i)
	}
	for _, files := range byDev {
		if len(files) < syncWholeFrom {
			for _, i := range files {
				targets = append(targets, target{i, false})
			}
			continue
		}
		t := target{files[0], true}
		for _, i := range files {
			if s.cache.byIndex[i] != nil {
				t.file = i
				break
			}
		}
		targets = append(targets, t)
	}
	s.mu.Unlock()

	var errs []error
	for _, t := range targets {
		h, err := s.acquire(t.file, false)
		if err == nil {
			err = s.syncer(h.f, t.whole)
			s.release(h)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("persist: sync %s: %w", s.files[t.file].path, err))
		}
	}
	if len(errs) > 0 {
		s.mu.Lock()
		for _, i := range idx {
			s.dirty[i] = true
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Close closes every handle; handles in use close when their I/O ends.
// Data is not fsynced: call Sync first when durability matters.
func (s *FileStorage) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	toClose := s.dropAllLocked()
	s.mu.Unlock()
	return closeFiles(toClose)
}

// dropAllLocked empties the cache and returns the files to close. s.mu held.
func (s *FileStorage) dropAllLocked() []*os.File {
	var toClose []*os.File
	for _, h := range s.cache.all() {
		toClose = s.drop(h, toClose)
	}
	return toClose
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
	_ = closeFiles(s.dropAllLocked()) // close errors don't matter for files about to go
	clear(s.dirty)
	clear(s.devs)
	clear(s.dirs)
	for i := range s.wgen {
		if !s.files[i].padding {
			s.wgen[i]++
		}
	}

	var errs []error
	dirs := make(map[string]bool)
	for _, df := range s.files {
		if df.padding {
			continue
		}
		if _, err := s.checkOnDisk(df.path, nil); err != nil {
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

// stateOf is the FileState of a stat, nil for a missing file.
func stateOf(fi fs.FileInfo) FileState {
	if fi == nil {
		return FileState{Size: -1}
	}
	return FileState{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
}

// FileStates reports each file's size and modification time on disk; a
// missing file, and a padding file (never stored), has Size -1. A file is
// looked at again only after this storage has written to it: what others
// do to a file meanwhile is seen by the next storage opened on it, which
// is when a record's states are compared with the disk.
func (s *FileStorage) FileStates() []FileState {
	type stale struct {
		file int
		gen  uint64
	}
	var todo []stale
	s.mu.Lock()
	for i := range s.files {
		if s.sgen[i] != s.wgen[i] {
			todo = append(todo, stale{i, s.wgen[i]})
		}
	}
	s.mu.Unlock()
	got := make([]FileState, len(todo))
	for k, st := range todo {
		fi, err := os.Stat(s.files[st.file].path)
		if err != nil {
			fi = nil
		}
		got[k] = stateOf(fi)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, st := range todo {
		s.states[st.file] = got[k]
		if s.wgen[st.file] == st.gen {
			s.sgen[st.file] = st.gen
		}
	}
	return slices.Clone(s.states)
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
