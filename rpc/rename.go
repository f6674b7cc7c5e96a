package rpc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/braid-bt/braid/core/metainfo"
)

// displayPath is a file's path as the user sees it and as it lies below
// the torrent's directory: the torrent's path with the user's renames.
func (e *entry) displayPath(f fileInfo) string {
	comps := strings.Split(f.Path, "/")
	if len(comps) == 1 { // single-file torrent: the file is the name
		if e.RenamedName != "" {
			return e.RenamedName
		}
		return f.Path
	}
	top, rest := comps[0], comps[1:]
	if e.RenamedName != "" {
		top = e.RenamedName
	}
	if r, ok := e.RenamedFiles[f.Index]; ok {
		rest = r
	}
	return strings.Join(append([]string{top}, rest...), "/")
}

// checkNewName checks the name argument of torrent-rename-path: one path
// component, nothing that could leave the folder.
func checkNewName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return argErr(fmt.Sprintf("invalid argument \"name\": %q is not a single file or folder name", name))
	}
	if err := metainfo.ValidatePathComponent(name); err != nil {
		return argErr(fmt.Sprintf("invalid argument \"name\": %q: %v", name, err))
	}
	return nil
}

// torrentRenamePath answers torrent-rename-path: the file or folder path
// (as torrent-get's files name it) of one torrent gets the new last
// component name, on disk and in the torrent's view. As in Transmission,
// renaming the top folder (or a single-file torrent's file) renames the
// torrent. A running torrent stops for the rename and starts again. The
// renames are saved and survive a restart.
func (s *Server) torrentRenamePath(_ context.Context, a args) (map[string]any, error) {
	p, hasPath, err := a.str("path")
	if err != nil {
		return nil, err
	}
	name, hasName, err := a.str("name")
	if err != nil {
		return nil, err
	}
	if !hasPath || p == "" {
		return nil, argErr("no path specified")
	}
	if !hasName {
		return nil, argErr("no name specified")
	}
	if err := checkNewName(name); err != nil {
		return nil, err
	}
	pcomps := strings.Split(p, "/")
	if _, err := safeRel(p); err != nil {
		return nil, argErr(fmt.Sprintf("invalid argument \"path\": %q", p))
	}
	es, err := s.selectIDs(a)
	if err != nil {
		return nil, err
	}
	if len(es) != 1 {
		return nil, argErr("torrent-rename-path requires exactly one torrent id")
	}
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	s.schedMu.Lock() // the queue must not restart it while its data moves
	defer s.schedMu.Unlock()
	e := es[0]
	running := s.active(e) != nil
	if running {
		s.remember(e) // the file list, as the engine knows it
		e, _ = s.st.get(e.ID)
	}
	depth := len(pcomps)
	newPrefix := append(slices.Clone(pcomps[:depth-1]), name)
	var affected []fileInfo
	for _, f := range e.Files {
		dc := strings.Split(e.displayPath(f), "/")
		if len(dc) >= depth && slices.Equal(dc[:depth], pcomps) {
			affected = append(affected, f)
		} else if len(dc) >= depth && slices.Equal(dc[:depth], newPrefix) {
			return nil, argErr(fmt.Sprintf("torrent %d already has %q", e.ID, strings.Join(newPrefix, "/")))
		}
	}
	if len(affected) == 0 {
		return nil, argErr(fmt.Sprintf("torrent %d has no file or folder %q", e.ID, p))
	}
	out := map[string]any{"path": p, "name": name, "id": e.ID}
	if pcomps[depth-1] == name {
		return out, nil
	}
	dir := e.Dir
	if dir == "" {
		dir = s.st.downloadDir()
	}
	oldDisk, newDisk := filepath.Join(dir, filepath.Join(pcomps...)), filepath.Join(dir, filepath.Join(newPrefix...))
	if _, err := os.Lstat(newDisk); err == nil {
		return nil, fmt.Errorf("rename %s: %s already exists", p, newDisk)
	}
	if running {
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			return nil, fmt.Errorf("stop: %w", err)
		}
	}
	if err := os.Rename(oldDisk, newDisk); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if running {
			if rerr := s.resume(e); rerr != nil {
				s.log.Warn("restart after a failed rename", "info_hash", e.Hash.String(), "err", rerr)
			}
		}
		return nil, fmt.Errorf("rename %s: %w", p, err)
	}
	s.st.update(e.ID, func(x *entry) {
		if depth == 1 {
			x.RenamedName = name
			return
		}
		renamed := make(map[int][]string, len(x.RenamedFiles)+len(affected))
		for k, v := range x.RenamedFiles {
			renamed[k] = v
		}
		for _, f := range affected {
			dc := strings.Split(x.displayPath(f), "/")
			dc[depth-1] = name
			renamed[f.Index] = dc[1:]
		}
		x.RenamedFiles = renamed
	})
	if err := s.st.save(); err != nil { // at once: the disk has the new names
		s.log.Warn("save daemon state", "err", err)
	}
	var errs []error
	if running {
		e, _ = s.st.get(e.ID)
		if err := s.resume(e); err != nil {
			s.st.update(e.ID, func(x *entry) { x.Error = err.Error() })
			errs = append(errs, err)
		}
	}
	if _, err := s.saveAnd(errs); err != nil {
		return nil, err
	}
	return out, nil
}
