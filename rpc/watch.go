package rpc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WatchInterval is how often a watch directory is scanned.
const WatchInterval = 2 * time.Second

// watchSeen is a file's size and modification time at the last scan.
type watchSeen struct {
	size  int64
	mtime time.Time
}

// Watch scans dir every interval until ctx ends and adds the .torrent
// files dropped there, as torrent-add would (default download directory,
// started). A file is taken once its size and modification time are the
// same at two scans in a row, so one still being written waits. An added
// file is renamed NAME.torrent.added; one that cannot be added is renamed
// NAME.torrent.invalid and the reason logged. Only regular files directly
// in dir are read (no subdirectories, no symbolic links).
func (s *Server) Watch(ctx context.Context, dir string, interval time.Duration) {
	seen := map[string]watchSeen{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.scanWatchDir(dir, seen)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// scanWatchDir is one scan; seen carries the sizes between scans.
func (s *Server) scanWatchDir(dir string, seen map[string]watchSeen) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		s.log.Warn("watch directory", "dir", dir, "err", err)
		return
	}
	present := map[string]bool{}
	for _, de := range ents {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.EqualFold(filepath.Ext(name), ".torrent") {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		present[name] = true
		now := watchSeen{size: fi.Size(), mtime: fi.ModTime()}
		prev, ok := seen[name]
		seen[name] = now
		if !ok || prev != now || now.size == 0 {
			continue // new or still changing: wait for the next scan
		}
		delete(seen, name)
		delete(present, name)
		s.addWatched(filepath.Join(dir, name))
	}
	for name := range seen {
		if !present[name] {
			delete(seen, name)
		}
	}
}

// addWatched adds one dropped file and renames it by the outcome.
func (s *Server) addWatched(file string) {
	suffix, reason := ".added", ""
	data, err := readTorrentFile(file)
	if err == nil {
		a := args{"metainfo": json.RawMessage(`"` + base64.StdEncoding.EncodeToString(data) + `"`)}
		_, err = s.torrentAdd(context.Background(), a)
	}
	if err != nil {
		suffix, reason = ".invalid", err.Error()
	}
	if err := os.Rename(file, file+suffix); err != nil {
		s.log.Warn("watch directory: rename", "file", file, "err", err)
	}
	if reason != "" {
		s.log.Warn("watch directory: not added", "file", file, "reason", reason)
		return
	}
	s.log.Info("watch directory: added", "file", file)
}
