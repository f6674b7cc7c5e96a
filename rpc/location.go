package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// afterCopy, when set (tests), runs on each copied file before it is
// compared with its source: a disk error can be injected there.
var afterCopy func(dst string)

// torrentSetLocation answers torrent-set-location. With move false the
// torrent is pointed at location (a running one restarts there, which
// verifies the data it finds). With move true its data is moved safely:
// the torrent stops, every file is copied, synced and compared with its
// source, the torrent switches to the copy and starts again, and only
// then are the old files deleted. A failure deletes the partial copy and
// leaves the torrent on (and running from, if it ran) the old data, and
// is the answer.
func (s *Server) torrentSetLocation(_ context.Context, a args) (map[string]any, error) {
	loc, has, err := a.str("location")
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, argErr("no location specified")
	}
	if !filepath.IsAbs(loc) || strings.ContainsRune(loc, 0) {
		return nil, argErr("new location path is not absolute")
	}
	loc = filepath.Clean(loc)
	move, err := a.boolean("move")
	if err != nil {
		return nil, err
	}
	es, err := s.selectIDs(a)
	if err != nil {
		return nil, err
	}
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	s.schedMu.Lock() // the queue must not restart it while its data moves
	defer s.schedMu.Unlock()
	var errs []error
	for _, e := range es {
		if err := s.relocate(e, loc, move); err != nil {
			errs = append(errs, fmt.Errorf("torrent %d: %w", e.ID, err))
			continue
		}
		s.st.update(e.ID, func(x *entry) { x.Target = "" }) // the user chose its place
	}
	return s.saveAnd(errs)
}

// relocate points (and with move, moves) one torrent to dir.
func (s *Server) relocate(e entry, dir string, move bool) error {
	old := e.Dir
	if old == "" {
		old = s.st.downloadDir()
	}
	if filepath.Clean(old) == dir {
		return nil
	}
	running := s.active(e) != nil
	if running {
		s.remember(e)
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		e, _ = s.st.get(e.ID)
	}
	rels, err := e.diskRels()
	if err == nil && move {
		err = copyVerified(old, dir, rels)
	}
	if err != nil {
		if running {
			if rerr := s.resume(e); rerr != nil {
				s.log.Warn("restart after a failed move", "info_hash", e.Hash.String(), "err", rerr)
			}
		}
		return fmt.Errorf("move data to %s: %w (the data stays in %s)", dir, err, old)
	}
	s.st.update(e.ID, func(x *entry) { x.Dir = dir })
	e.Dir = dir
	if err := s.st.save(); err != nil {
		// Unsaved, a restart would look for the data where it was: keep
		// the old copy too.
		move = false
		s.log.Warn("save daemon state: the old copy stays", "dir", old, "err", err)
	}
	var startErr error
	if running {
		if startErr = s.resume(e); startErr != nil {
			s.st.update(e.ID, func(x *entry) { x.Error = startErr.Error() })
		}
	}
	if move {
		removeFiles(old, rels, s.log.Warn)
	}
	return startErr
}

// safeRel turns a torrent file path ("name/dir/file") into a relative
// OS path, refusing anything that could leave the directory.
func safeRel(p string) (string, error) {
	parts := strings.Split(p, "/")
	for _, c := range parts {
		if c == "" || c == "." || c == ".." || strings.ContainsAny(c, `\`+"\x00") {
			return "", fmt.Errorf("unsafe file path %q", p)
		}
	}
	rel := filepath.Join(parts...)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("unsafe file path %q", p)
	}
	return rel, nil
}

// copyVerified copies each file that exists under from to the same
// place under to, syncs it and compares it with its source. A file that
// already exists at the target is an error (nothing is overwritten). On
// any failure the copies made are removed again.
func copyVerified(from, to string, rels []string) (err error) {
	var made []string
	defer func() {
		if err != nil {
			removeFiles(to, made, nil)
		}
	}()
	for _, rel := range rels {
		src := filepath.Join(from, rel)
		fi, serr := os.Lstat(src)
		if errors.Is(serr, fs.ErrNotExist) {
			continue // nothing of it downloaded yet
		}
		if serr != nil {
			return serr
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", src)
		}
		dst := filepath.Join(to, rel)
		if err := mkdirWithin(to, filepath.Dir(dst)); err != nil {
			return err
		}
		if err := copyFile(src, dst, fi.Mode().Perm()); err != nil {
			if !errors.Is(err, fs.ErrExist) {
				made = append(made, rel)
			}
			return err
		}
		made = append(made, rel)
		if afterCopy != nil {
			afterCopy(dst)
		}
		if err := sameContent(src, dst); err != nil {
			return err
		}
	}
	return nil
}

// mkdirWithin creates dir (below root) and checks that, symbolic links
// resolved, it still lies inside root.
func mkdirWithin(root, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(r, d); err != nil || !filepath.IsLocal(rel) && rel != "." {
		return fmt.Errorf("%s leaves %s", dir, root)
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	// O_EXCL: an existing file (or symbolic link) there is an error.
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return out.Close()
}

// sameContent compares two files byte for byte.
func sameContent(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return fmt.Errorf("verify %s: the copy differs from the original", b)
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			if eb != ea {
				return fmt.Errorf("verify %s: the copy differs from the original", b)
			}
			return nil
		}
		if ea != nil {
			return ea
		}
		if eb != nil {
			return eb
		}
	}
}

// removeFiles deletes the files under dir and then their directories
// below dir that are left empty.
func removeFiles(dir string, rels []string, warn func(string, ...any)) {
	dirs := map[string]bool{}
	for _, rel := range rels {
		p := filepath.Join(dir, rel)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && warn != nil {
			warn("remove old data", "file", p, "err", err)
		}
		for d := filepath.Dir(rel); d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	// Deepest first; a directory that is not empty stays.
	for len(dirs) > 0 {
		deepest := ""
		for d := range dirs {
			if len(d) > len(deepest) {
				deepest = d
			}
		}
		delete(dirs, deepest)
		_ = os.Remove(filepath.Join(dir, deepest)) // fails, as it should, unless empty
	}
}

// diskRels are the torrent's files as relative paths below its directory.
func (e *entry) diskRels() ([]string, error) {
	rels := make([]string, 0, len(e.Files))
	for _, f := range e.Files {
		rel, err := safeRel(e.displayPath(f))
		if err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	return rels, nil
}

// deleteStoppedData deletes a stopped torrent's files (and the folders
// they leave empty) from where the daemon keeps them.
func (s *Server) deleteStoppedData(e entry) error {
	rels, err := e.diskRels()
	if err != nil {
		return err
	}
	dir := e.Dir
	if dir == "" {
		dir = s.st.downloadDir()
	}
	removeFiles(dir, rels, s.log.Warn)
	return nil
}

// useIncompleteDir sends a new torrent to the incomplete directory, when
// that is on, unless some of its data is already in its directory.
func (s *Server) useIncompleteDir(e *entry) {
	inc := s.sess.str("incomplete-dir")
	if !s.sess.boolean("incomplete-dir-enabled") || inc == "" || inc == e.Dir {
		return
	}
	rels, err := e.diskRels()
	if err != nil {
		return
	}
	for _, rel := range rels {
		if _, err := os.Lstat(filepath.Join(e.Dir, rel)); err == nil {
			return
		}
	}
	e.Target, e.Dir = e.Dir, inc
}

// moveCompleted moves a completed torrent's data from the incomplete
// directory to its own, as torrent-set-location with move does; a
// failure is logged and the torrent goes on from where it is.
func (s *Server) moveCompleted(id int) {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	e, ok := s.st.get(id)
	if !ok || e.Target == "" || s.active(e) == nil {
		return
	}
	if err := s.relocate(e, e.Target, true); err != nil {
		s.log.Warn("move completed torrent", "info_hash", e.Hash.String(), "err", err)
		return
	}
	s.st.update(id, func(x *entry) { x.Target = "" })
	if err := s.st.save(); err != nil {
		s.log.Warn("save daemon state", "err", err)
	}
}
