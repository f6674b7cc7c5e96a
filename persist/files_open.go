//go:build !js

// Opening a FileStorage's files: one handle per file in the cache, shared
// by reads, writes and hashing, opened outside the storage lock.

package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

func (s *FileStorage) createEmpty(i int) error {
	p := s.files[i].path
	if err := s.prepareDirs(p, true); err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	f, err := s.opener(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	return f.Close()
}

// open opens file i: for writing it creates the file and its directories and
// extends it, sparsely, to its length; for reading a missing file is an
// error wrapping fs.ErrNotExist. A file opened for writing comes with its
// stat. Runs without s.mu: the checks and the open are file I/O.
func (s *FileStorage) open(i int, write bool) (*os.File, bool, fs.FileInfo, error) {
	df := &s.files[i]
	if err := s.prepareDirs(df.path, write); err != nil {
		return nil, false, nil, err
	}
	if write && createNoFollow != 0 {
		// One call instead of a look first: the open refuses a symlink
		// and the stat that extends the file anything but a regular file.
		// Those, and any other failure, take the checked way below, which
		// follows a link that stays inside dir and words the errors.
		if f, fi, err := s.createDirect(df); err == nil {
			return f, true, fi, nil
		}
	}
	if _, err := s.checkFile(df.path); err != nil {
		return nil, false, nil, err
	}
	if !write {
		if !s.readOnly {
			// Read-write when allowed, so a later write reuses the handle.
			f, err := s.opener(df.path, os.O_RDWR, 0)
			if err == nil {
				return f, true, nil, nil
			}
			if !errors.Is(err, fs.ErrPermission) {
				return nil, false, nil, err
			}
		}
		f, err := s.opener(df.path, os.O_RDONLY, 0)
		return f, false, nil, err
	}
	f, err := s.opener(df.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, nil, err
	}
	fi, err := extend(f, df.length)
	if err != nil {
		f.Close()
		return nil, false, nil, err
	}
	return f, true, fi, nil
}

// createDirect opens (creating it if absent) file df for writing without
// following a symlink in its last component, extends it and returns it with
// its stat. It fails on a symlink there.
// Its directories are safe already (prepareDirs).
func (s *FileStorage) createDirect(df *diskFile) (*os.File, fs.FileInfo, error) {
	f, err := s.opener(df.path, os.O_RDWR|os.O_CREATE|createNoFollow, 0o644)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%v): %w", df.path, fi.Mode().Type(), ErrUnsafePath)
	}
	if err == nil && fi.Size() < df.length {
		err = f.Truncate(df.length)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// extend grows a file to its length the first time it is opened for writing,
// sparsely: no zeros are written.
func extend(f *os.File, length int64) (fs.FileInfo, error) {
	fi, err := f.Stat()
	if err == nil && fi.Size() < length {
		err = f.Truncate(length)
	}
	return fi, err
}

// noteDevice remembers the filesystem of file i for Sync. s.mu held.
func (s *FileStorage) noteDevice(i int, fi fs.FileInfo) {
	if fi == nil {
		return
	}
	if dev, ok := deviceOf(fi); ok {
		s.devs[i] = dev
	}
}

// acquire returns a referenced handle for file i; release it when done.
// Each file has at most one handle in the cache, shared by reads, writes,
// hashing and Sync; it is opened once and reused until the LRU evicts it.
// Opening and extending run outside s.mu, one caller per file at a time:
// others wait for it, so none sees a file created but not yet extended.
func (s *FileStorage) acquire(i int, write bool) (*handle, error) {
	if write && s.readOnly {
		return nil, ErrReadOnly
	}
	s.mu.Lock()
	for {
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		h := s.cache.get(i)
		if h != nil && (!write || h.writable && h.extended) {
			h.refs++
			s.mu.Unlock()
			return h, nil
		}
		wait, busy := s.opening[i]
		if !busy {
			break
		}
		s.mu.Unlock()
		<-wait
		s.mu.Lock()
	}
	done := make(chan struct{})
	s.opening[i] = done
	h, toClose, err := s.reopenLocked(i, write)
	delete(s.opening, i)
	close(done)
	s.mu.Unlock()
	closeFiles(toClose)
	return h, err
}

// reopenLocked gives file i a handle fit for write, extending the cached
// one or opening the file. Called with s.mu held and s.opening[i] set;
// the lock is let go around the file I/O. Returns files to close.
func (s *FileStorage) reopenLocked(i int, write bool) (*handle, []*os.File, error) {
	h := s.cache.get(i)
	if h != nil && h.writable {
		// Opened by a read; the first write extends the file first.
		h.refs++
		s.mu.Unlock()
		fi, err := extend(h.f, s.files[i].length)
		s.mu.Lock()
		if err != nil {
			h.refs--
			if h.dropped && h.refs == 0 {
				return nil, []*os.File{h.f}, err
			}
			return nil, nil, err
		}
		h.extended = true
		s.noteDevice(i, fi)
		return h, nil, nil
	}
	var toClose []*os.File
	if h != nil {
		toClose = s.drop(h, toClose) // read-only handle; reopen for writing
	}
	s.mu.Unlock()
	closeFiles(toClose)
	toClose = nil
	f, writable, fi, err := s.open(i, write)
	s.mu.Lock()
	if err != nil {
		return nil, nil, err
	}
	if s.closed {
		return nil, []*os.File{f}, ErrClosed
	}
	if write {
		s.noteDevice(i, fi)
	}
	h = &handle{f: f, idx: i, writable: writable, extended: write, refs: 1}
	for _, old := range s.cache.add(h) {
		toClose = s.dropLocked(old, toClose)
	}
	return h, toClose, nil
}

// release ends a use of h; wrote marks file i written (for Sync and
// FileStates) now that the write is done.
func (s *FileStorage) release(h *handle) { s.releaseAfter(h, false) }

func (s *FileStorage) releaseAfter(h *handle, wrote bool) {
	s.mu.Lock()
	if wrote {
		s.dirty[h.idx] = true
		s.wgen[h.idx]++
	}
	h.refs--
	last := h.dropped && h.refs == 0
	s.mu.Unlock()
	if last {
		h.f.Close()
	}
}

// drop removes h from the cache; its file joins toClose if unused, else
// its last user closes it. s.mu held.
func (s *FileStorage) drop(h *handle, toClose []*os.File) []*os.File {
	s.cache.remove(h)
	return s.dropLocked(h, toClose)
}

func (s *FileStorage) dropLocked(h *handle, toClose []*os.File) []*os.File {
	h.dropped = true
	if h.refs == 0 {
		toClose = append(toClose, h.f)
	}
	return toClose
}

func closeFiles(files []*os.File) error {
	var errs []error
	for _, f := range files {
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("persist: close: %w", err))
		}
	}
	return errors.Join(errs...)
}

// syncFile flushes f, or with whole the filesystem holding it.
func syncFile(f *os.File, whole bool) error {
	if whole {
		return syncFS(f)
	}
	return f.Sync()
}
