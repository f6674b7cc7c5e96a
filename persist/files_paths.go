//go:build !js

// Path safety of a FileStorage: every path is checked once, when storage
// opens it, and each directory once, when first seen.

package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/braid-bt/braid/core/metainfo"
)

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
// regular file; it returns the file's stat, nil when absent. seen, when given, remembers the directories already walked
// (true: present), so a tree of many files costs one look per directory.
func (s *FileStorage) checkOnDisk(p string, seen map[string]bool) (fs.FileInfo, error) {
	rel, err := filepath.Rel(s.dir, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, ErrUnsafePath)
	}
	cur := s.dir
	comps := strings.Split(rel, string(filepath.Separator))
	for _, c := range comps[:len(comps)-1] {
		cur = filepath.Join(cur, c)
		present, known := seen[cur]
		if !known {
			if present, err = s.checkDir(cur); err != nil {
				return nil, err
			}
			if seen != nil {
				seen[cur] = present
			}
		}
		if !present {
			return nil, nil
		}
	}
	return s.checkFile(p)
}

// checkDir checks one directory below dir whose parent is known to be
// safe: absent, a directory, or a symlink to a directory inside dir.
func (s *FileStorage) checkDir(d string) (present bool, err error) {
	fi, err := s.lstat(d)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = s.followLink(d); err != nil {
			return false, err
		}
	}
	if !fi.IsDir() {
		return false, &fs.PathError{Op: "open", Path: d, Err: syscall.ENOTDIR}
	}
	return true, nil
}

// checkFile checks a file's own entry: absent (nil stat), a regular file,
// or a symlink to one inside dir (the stat of what it points at).
func (s *FileStorage) checkFile(p string) (fs.FileInfo, error) {
	fi, err := s.lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = s.followLink(p); err != nil {
			return nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v): %w", p, fi.Mode().Type(), ErrUnsafePath)
	}
	return fi, nil
}

// followLink resolves the symlink at p, refusing one that dangles or leads
// outside dir, and returns what it points at.
func (s *FileStorage) followLink(p string) (fs.FileInfo, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("%s is a dangling symlink: %w", p, ErrUnsafePath)
	}
	if !within(s.realDir, target) {
		return nil, fmt.Errorf("%s is a symlink to %s outside %s: %w", p, target, s.dir, ErrUnsafePath)
	}
	return os.Stat(p)
}

// prepareDirs checks, and with create makes, the directories from dir down
// to file p's parent. Each is looked at once per storage: one found safe
// is remembered, so later opens of files in it go straight to the file.
// A symlink planted where a directory was not yet seen is refused as at
// open. Without create it stops at the first missing directory.
func (s *FileStorage) prepareDirs(p string, create bool) error {
	var todo []string
	s.mu.Lock()
	for d := filepath.Dir(p); !s.dirs[d]; d = filepath.Dir(d) {
		todo = append(todo, d)
		if d == s.dir || !within(s.dir, d) {
			break
		}
	}
	s.mu.Unlock()
	for _, d := range slices.Backward(todo) {
		if d == s.dir {
			if !create {
				continue // dir itself is the user's; not checked, as at open
			}
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		} else {
			present, err := s.checkDir(d)
			if err != nil {
				return err
			}
			if !present {
				if !create {
					return nil
				}
				if err := os.Mkdir(d, 0o755); errors.Is(err, fs.ErrExist) {
					// Made by someone else meanwhile: check what it is.
					if present, err = s.checkDir(d); err == nil && !present {
						err = &fs.PathError{Op: "mkdir", Path: d, Err: fs.ErrNotExist}
					}
					if err != nil {
						return err
					}
				} else if err != nil {
					return err
				}
			}
		}
		s.mu.Lock()
		s.dirs[d] = true
		s.mu.Unlock()
	}
	return nil
}
