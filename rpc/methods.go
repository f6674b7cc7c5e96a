package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

// startTimeout bounds starting one torrent (opening its storage).
const startTimeout = 30 * time.Second

type response struct {
	Result    string          `json:"result"`
	Arguments map[string]any  `json:"arguments"`
	Tag       json.RawMessage `json:"tag,omitempty"`
	closing   bool
}

// argErr is an answer to bad arguments: nothing was changed.
type argErr string

func (e argErr) Error() string { return string(e) }

type args map[string]json.RawMessage

func (a args) has(k string) bool {
	v, ok := a[k]
	return ok && string(v) != "null"
}

func (a args) str(k string) (string, bool, error) {
	if !a.has(k) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(a[k], &s); err != nil {
		return "", false, argErr(fmt.Sprintf("invalid argument %q: want a string", k))
	}
	return s, true, nil
}

func (a args) boolean(k string) (bool, error) {
	if !a.has(k) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(a[k], &b); err == nil {
		return b, nil
	}
	var n float64 // Transmission accepts 0 and 1 too
	if err := json.Unmarshal(a[k], &n); err == nil && (n == 0 || n == 1) {
		return n == 1, nil
	}
	return false, argErr(fmt.Sprintf("invalid argument %q: want a boolean", k))
}

func (a args) ints(k string) ([]int, error) {
	if !a.has(k) {
		return nil, nil
	}
	var out []int
	if err := json.Unmarshal(a[k], &out); err != nil {
		return nil, argErr(fmt.Sprintf("invalid argument %q: want an array of integers", k))
	}
	return out, nil
}

func (a args) strs(k string) ([]string, bool, error) {
	if !a.has(k) {
		return nil, false, nil
	}
	var out []string
	if err := json.Unmarshal(a[k], &out); err != nil {
		return nil, false, argErr(fmt.Sprintf("invalid argument %q: want an array of strings", k))
	}
	return out, true, nil
}

// exec runs one request body.
func (s *Server) exec(r *http.Request, body []byte) response {
	resp := response{Result: "success", Arguments: map[string]any{}}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		resp.Result = "no method name"
		return resp
	}
	if t, ok := top["tag"]; ok {
		var n json.Number
		if json.Unmarshal(t, &n) == nil {
			resp.Tag = json.RawMessage(n.String())
		}
	}
	var method string
	if err := json.Unmarshal(top["method"], &method); err != nil || method == "" {
		resp.Result = "no method name"
		return resp
	}
	a := args{}
	if raw, ok := top["arguments"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &a); err != nil {
			resp.Result = "invalid argument \"arguments\": want an object"
			return resp
		}
	}
	h, ok := s.methods()[method]
	if !ok {
		resp.Result = "method name not recognized"
		return resp
	}
	out, err := h(r.Context(), a)
	if err != nil {
		resp.Result = err.Error()
		return resp
	}
	if out != nil {
		resp.Arguments = out
	}
	resp.closing = method == "session-close"
	return resp
}

type handler func(ctx context.Context, a args) (map[string]any, error)

func (s *Server) methods() map[string]handler {
	return map[string]handler{
		"session-get":   s.sessionGet,
		"session-set":   s.sessionSet,
		"session-stats": s.sessionStats,
		"session-close": func(context.Context, args) (map[string]any, error) { return nil, nil },
		"torrent-add":   s.torrentAdd,
		"torrent-get":   s.torrentGet,
		"torrent-start": func(ctx context.Context, a args) (map[string]any, error) {
			return s.each(a, s.start)
		},
		"torrent-start-now": func(ctx context.Context, a args) (map[string]any, error) {
			return s.each(a, s.startNow)
		},
		"queue-move-top":    s.queueMove("top"),
		"queue-move-up":     s.queueMove("up"),
		"queue-move-down":   s.queueMove("down"),
		"queue-move-bottom": s.queueMove("bottom"),
		"torrent-stop": func(ctx context.Context, a args) (map[string]any, error) {
			return s.each(a, s.stop)
		},
		"torrent-verify": func(ctx context.Context, a args) (map[string]any, error) {
			return s.each(a, s.verify)
		},
		"torrent-remove":       s.torrentRemove,
		"torrent-set":          s.torrentSet,
		"torrent-set-location": s.torrentSetLocation,
		"torrent-rename-path":  s.torrentRenamePath,
		"free-space":           s.freeSpace,
		"blocklist-update":     s.blocklistUpdate,
		"port-test":            s.portTest,
		"torrent-reannounce": func(ctx context.Context, a args) (map[string]any, error) {
			return s.each(a, s.reannounce)
		},
	}
}

// selectIDs resolves the ids argument: absent (or "recently-active"):
// every torrent; a number; a hash string; or an array of numbers and hash
// strings. Ids that name no torrent are skipped, as Transmission does.
func (s *Server) selectIDs(a args) ([]entry, error) {
	if !a.has("ids") {
		return s.st.all(), nil
	}
	raw := bytes.TrimSpace(a["ids"])
	var list []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, argErr("invalid argument \"ids\": want a number, a hash string or an array of them")
		}
	} else {
		var str string
		if json.Unmarshal(raw, &str) == nil && str == "recently-active" {
			return s.st.all(), nil
		}
		list = []json.RawMessage{raw}
	}
	var out []entry
	seen := map[int]bool{}
	for _, item := range list {
		var e entry
		var ok bool
		var n int
		var h string
		switch {
		case json.Unmarshal(item, &n) == nil:
			e, ok = s.st.get(n)
		case json.Unmarshal(item, &h) == nil:
			ih, err := braid.ParseInfoHash(strings.ToLower(h))
			if err == nil {
				e, ok = s.st.byInfoHash(ih)
			}
			if t, terr := s.c.Torrent(ih); err == nil && !ok && terr == nil {
				// A hybrid named by its v2 hash: its entry is under its own.
				e, ok = s.st.byInfoHash(t.InfoHash())
			}
		default:
			return nil, argErr("invalid argument \"ids\": want a number, a hash string or an array of them")
		}
		if ok && !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// each runs f on every selected torrent; the first error is the answer
// (after the others ran).
func (s *Server) each(a args, f func(e entry) error) (map[string]any, error) {
	es, err := s.selectIDs(a)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, e := range es {
		if err := f(e); err != nil {
			errs = append(errs, err)
		}
	}
	return s.saveAnd(errs)
}

// active returns the running torrent of e, or nil.
func (s *Server) active(e entry) *braid.Torrent {
	t, err := s.c.Torrent(e.Hash)
	if err != nil {
		return nil
	}
	return t
}

// remember stores what a stopped torrent will still report.
func (s *Server) remember(e entry) {
	st, err := s.c.Stats(e.Hash, "name", "bytes_size", "left", "uploaded", "fetched", "error")
	if err != nil {
		return
	}
	files, _ := s.c.ListFiles(e.Hash)
	var tiers [][]string
	if t := s.active(e); t != nil {
		tiers = t.Trackers()
	}
	s.st.update(e.ID, func(x *entry) {
		if x.Trackers == nil && tiers != nil {
			x.Trackers = tiers // a stopped torrent still lists its trackers
		}
		x.Name, _ = st["name"].(string)
		x.TotalSize, _ = st["bytes_size"].(int64)
		x.Left, _ = st["left"].(int64)
		x.Uploaded, _ = st["uploaded"].(int64)
		x.Downloaded, _ = st["fetched"].(int64)
		x.Error, _ = st["error"].(string)
		if len(files) > 0 {
			// A new slice: copies of the entry handed out earlier share the old one.
			fs := make([]fileInfo, len(files))
			for i, f := range files {
				fs[i] = fileInfo{Index: f.Index, Path: f.Path, Length: f.Length, Done: f.Downloaded}
			}
			x.Files = fs
		}
	})
}

func (s *Server) stop(e entry) error {
	s.st.update(e.ID, func(x *entry) { x.Paused, x.Forced = true, false }) // first: the queue leaves it be
	if s.active(e) != nil {
		s.remember(e)
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			s.log.Warn("stop", "info_hash", e.Hash.String(), "err", err)
		}
	}
	s.schedule() // its room goes to the next in the queue
	return nil
}

// start queues the torrent: it starts now if the queue has room for it.
func (s *Server) start(e entry) error {
	s.st.update(e.ID, func(x *entry) { x.Paused, x.Error, x.Finished = false, "", false })
	if t := s.active(e); t != nil && t.State() == "error" {
		s.remember(e)
		_ = s.c.StopAndSerialize(e.Hash) // a retry starts afresh
	}
	return s.schedule()[e.ID]
}

// startNow starts the torrent whatever the queue holds.
func (s *Server) startNow(e entry) error {
	s.st.update(e.ID, func(x *entry) { x.Paused, x.Error, x.Finished, x.Forced = false, "", false, true })
	if t := s.active(e); t != nil && t.State() != "error" {
		return nil
	}
	e, _ = s.st.get(e.ID)
	if err := s.resume(e); err != nil {
		s.st.update(e.ID, func(x *entry) { x.Error = err.Error() })
		return err
	}
	return nil
}

// verify checks the torrent's data: a running torrent is stopped and
// started again, which verifies every recorded piece on disk.
func (s *Server) verify(e entry) error {
	if s.active(e) == nil {
		return s.verifyStopped(e)
	}
	s.remember(e)
	if err := s.c.StopAndSerialize(e.Hash); err != nil {
		return err
	}
	return s.resume(e)
}

// verifyStopped checks a stopped torrent's data: it starts, and once its
// data is checked it is stopped again (its last figures then say what the
// check found), unless the user started it meanwhile.
func (s *Server) verifyStopped(e entry) error {
	if len(e.Files) == 0 {
		return nil // no metadata: nothing to check
	}
	if err := s.resume(e); err != nil {
		return err
	}
	t := s.active(e)
	if t == nil {
		return nil
	}
	go func() {
		select {
		case <-t.Checked():
		case <-t.Stopped():
			return
		}
		s.schedMu.Lock()
		defer s.schedMu.Unlock()
		if cur, ok := s.st.get(e.ID); ok && cur.Paused && s.active(cur) == t {
			s.remember(cur)
			if err := s.c.StopAndSerialize(cur.Hash); err != nil {
				s.log.Warn("stop after verify", "info_hash", cur.Hash.String(), "err", err)
			}
		}
	}()
	return nil
}

// resume starts a torrent from its resume record with the daemon's
// choices for it (directory, wanted files).
func (s *Server) resume(e entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	opts := s.options(e)
	t, err := s.c.Resume(ctx, e.Hash, opts...)
	if errors.Is(err, braid.ErrTorrentNotFound) && e.Magnet != "" {
		// Stopped before its metadata came: no record yet.
		t, err = s.c.Download(ctx, e.Magnet, opts...)
	}
	if err != nil {
		return err
	}
	if e.Dir == "" { // adopted: the record names the place
		if g, err := s.c.Get(e.Hash, "save_path"); err == nil {
			dir, _ := g["save_path"].(string)
			s.st.update(e.ID, func(x *entry) { x.Dir = dir })
		}
	}
	s.watch(e.ID, t)
	return nil
}

// Resume starts every torrent the state knows that the user did not
// stop; it is how the daemon comes back after a restart. A torrent that
// fails to start is logged and reported by torrent-get's error fields.
//
// Torrents with a resume record the state does not know (left by
// `braid download` in the same state directory, say) are adopted: they get
// the next ids and start.
func (s *Server) Resume() {
	s.st.mu.Lock()
	s.st.sessions++
	s.st.changed()
	s.st.mu.Unlock()
	saved, err := s.c.Saved()
	if err != nil {
		s.log.Warn("list resume records", "err", err)
	}
	for _, sv := range saved {
		if _, known := s.st.byInfoHash(sv.InfoHash); !known {
			s.st.add(entry{Hash: sv.InfoHash, Name: sv.Name, AddedDate: time.Now().Unix()})
		}
	}
	// A start error is not kept across a restart: every torrent the user
	// did not stop gets a fresh try (the last run's error may have been
	// transient, a directory not yet mounted, say).
	for _, e := range s.st.all() {
		if !e.Paused && e.Error != "" {
			s.st.update(e.ID, func(x *entry) { x.Error = "" })
		}
	}
	for _, e := range s.st.all() {
		if e.Paused || !e.Forced {
			continue
		}
		if err := s.resume(e); err != nil {
			s.log.Warn("resume", "info_hash", e.Hash.String(), "err", err)
			s.st.update(e.ID, func(x *entry) { x.Error = err.Error() })
		}
	}
	s.schedule()
	if err := s.st.save(); err != nil {
		s.log.Warn("save daemon state", "err", err)
	}
}

// Save writes the daemon state file.
func (s *Server) Save() error { return s.st.save() }

// options are the download options of a torrent: its directory, its
// files' priorities (skip for the unwanted ones) and the user's renames.
func (s *Server) options(e entry) []braid.DownloadOption {
	var opts []braid.DownloadOption
	if len(s.cfg.Peers) > 0 {
		opts = append(opts, braid.WithPeers(s.cfg.Peers...))
	}
	if e.Dir != "" {
		opts = append(opts, braid.WithDir(e.Dir))
	}
	if len(e.Files) > 0 {
		// The daemon's choice, whatever a record says.
		index := make([]int, len(e.Files))
		for i, f := range e.Files {
			index[i] = f.Index
		}
		opts = append(opts, braid.WithFilePriorities(filePriorities(index, e.Unwanted, e.Priorities)))
	}
	if e.RenamedName != "" || len(e.RenamedFiles) > 0 {
		opts = append(opts, braid.WithRenames(e.RenamedName, e.RenamedFiles))
	}
	return opts
}

// watch gives a started torrent its limits and notes the date it
// completes.
func (s *Server) watch(id int, t *braid.Torrent) {
	if e, ok := s.st.get(id); ok {
		s.applyLimits(e, t) // a started torrent takes its own limits
		s.applyTrackers(e, t)
	}
	go func() {
		select {
		case <-t.Completed():
			s.moveCompleted(id)
			done := false
			s.st.update(id, func(x *entry) {
				if x.DoneDate == 0 {
					x.DoneDate, done = time.Now().Unix(), true
				}
			})
			s.schedule() // a download slot is free; the seed queue may be full
			if done {
				if err := s.st.save(); err != nil {
					s.log.Warn("save daemon state", "err", err)
				}
			}
		case <-t.Stopped():
		}
	}()
}

func (s *Server) torrentRemove(_ context.Context, a args) (map[string]any, error) {
	del, err := a.boolean("delete-local-data")
	if err != nil {
		return nil, err
	}
	return s.each(a, func(e entry) error {
		s.st.update(e.ID, func(x *entry) { x.removing = true }) // the queue must not start it again
		if err := s.removeOne(e, del); err != nil {
			s.st.update(e.ID, func(x *entry) { x.removing = false })
			return err
		}
		s.st.remove(e.ID)
		return nil
	})
}

// removeOne removes e's torrent from the client (with its data if del).
func (s *Server) removeOne(e entry, del bool) error {
	if del && s.active(e) == nil {
		// A stopped torrent's data is where the daemon put it (moved,
		// renamed), which its resume record may not say.
		if err := s.deleteStoppedData(e); err != nil {
			return err
		}
	}
	err := s.c.Remove(e.Hash, braid.DeleteData(del && s.active(e) != nil))
	if err != nil && !errors.Is(err, braid.ErrTorrentNotFound) {
		return err
	}
	return nil
}

// readTorrentFile reads a local .torrent, bounded.
func readTorrentFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, metainfo.MaxTorrentSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > metainfo.MaxTorrentSize {
		return nil, metainfo.ErrTooLarge
	}
	return data, nil
}

func (s *Server) torrentAdd(ctx context.Context, a args) (map[string]any, error) {
	filename, hasFile, err := a.str("filename")
	if err != nil {
		return nil, err
	}
	meta, hasMeta, err := a.str("metainfo")
	if err != nil {
		return nil, err
	}
	dir, hasDir, err := a.str("download-dir")
	if err != nil {
		return nil, err
	}
	paused, err := a.boolean("paused")
	if err != nil {
		return nil, err
	}
	if !a.has("paused") {
		paused = !s.sess.boolean("start-added-torrents")
	}
	fa, err := parseFileArgs(a)
	if err != nil {
		return nil, err
	}
	fa.adding = true
	tl, err := parseTorrentLimits(a) // peer-limit and bandwidthPriority, as the spec's torrent-add
	if err != nil {
		return nil, err
	}
	labels, _, err := a.strs("labels")
	if err != nil {
		return nil, err
	}
	if hasDir {
		if !filepath.IsAbs(dir) {
			return nil, argErr("download directory path is not absolute")
		}
		dir = filepath.Clean(dir)
	} else {
		dir = s.st.downloadDir()
	}
	var (
		data   []byte
		magnet *metainfo.Magnet
	)
	switch {
	case hasMeta:
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(meta), ""))
		if err != nil {
			return nil, argErr("invalid or corrupt torrent file")
		}
		data = raw
	case hasFile && strings.HasPrefix(strings.ToLower(filename), "magnet:"):
		if magnet, err = metainfo.ParseMagnet(filename); err != nil {
			return nil, argErr("invalid or corrupt torrent file")
		}
	case hasFile && (strings.HasPrefix(strings.ToLower(filename), "http://") || strings.HasPrefix(strings.ToLower(filename), "https://")):
		if data, err = fetchTorrent(ctx, filename); err != nil {
			return nil, argErr(fmt.Sprintf("invalid or corrupt torrent file (%v)", err))
		}
	case hasFile:
		if data, err = readTorrentFile(filename); err != nil {
			return nil, argErr(fmt.Sprintf("invalid or corrupt torrent file (%v)", err))
		}
	default:
		return nil, argErr("no filename or metainfo specified")
	}
	e := entry{Dir: dir, AddedDate: time.Now().Unix(), Labels: labels, Paused: paused, adding: true}
	tl.apply(&e)
	if data != nil {
		mi, err := metainfo.Parse(data)
		if err != nil {
			return nil, argErr("invalid or corrupt torrent file")
		}
		e.Hash, e.Name = braid.InfoHash(mi.InfoHash), mi.Info.Name
		if !mi.Info.HasV1() { // v2-only: known by its truncated v2 hash
			e.Hash = braid.InfoHash(mi.ShortInfoHashV2())
		}
		e.TotalSize, e.Left = mi.Info.FilesLength(), mi.Info.FilesLength() // padding left out
		for i, f := range mi.Info.Files {
			if f.Padding {
				continue
			}
			p := path.Join(f.Path...)
			if mi.Info.MultiFile {
				p = path.Join(mi.Info.Name, p)
			}
			e.Files = append(e.Files, fileInfo{Index: i, Path: p, Length: f.Length})
		}
		// A magnet's files are not known yet: its choice is made later.
		if e.Unwanted, e.Priorities, err = fa.apply("the torrent", len(e.Files), nil, nil); err != nil {
			return nil, err
		}
	} else {
		e.Hash, e.Name, e.Magnet = braid.InfoHash(magnet.InfoHash), magnet.Name, filename
		if e.Name == "" {
			e.Name = e.Hash.String()
		}
	}
	s.useIncompleteDir(&e)
	if old, ok := s.st.byInfoHash(e.Hash); ok {
		return map[string]any{"torrent-duplicate": map[string]any{"id": old.ID, "name": s.nameOf(old), "hashString": old.Hash.String()}}, nil
	}
	id, ok := s.st.add(e)
	if !ok {
		old, _ := s.st.get(id)
		return map[string]any{"torrent-duplicate": map[string]any{"id": id, "name": s.nameOf(old), "hashString": e.Hash.String()}}, nil
	}
	e.ID = id
	added := func() { s.st.update(id, func(x *entry) { x.adding = false }) }
	if paused && data == nil {
		added()
		// A paused magnet is not started at all: it has nothing to
		// record before its metadata, and torrent-start begins from the link.
		if err := s.st.save(); err != nil {
			return nil, fmt.Errorf("save daemon state: %w", err)
		}
		return map[string]any{"torrent-added": map[string]any{"id": id, "name": e.Name, "hashString": e.Hash.String()}}, nil
	}
	if s.beforeStart != nil {
		s.beforeStart()
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	opts := s.options(e)
	var t *braid.Torrent
	if data != nil {
		t, err = s.c.DownloadBytes(sctx, data, opts...)
	} else {
		t, err = s.c.Download(sctx, filename, opts...)
	}
	if err != nil {
		s.st.remove(id)
		return nil, fmt.Errorf("add torrent: %w", err)
	}
	added()
	if paused {
		s.remember(e)
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			s.log.Warn("stop", "info_hash", e.Hash.String(), "err", err)
		}
	} else {
		s.watch(id, t)
		s.schedule() // beyond the queue's size it waits
	}
	if err := s.st.save(); err != nil {
		return nil, fmt.Errorf("save daemon state: %w", err)
	}
	return map[string]any{"torrent-added": map[string]any{"id": id, "name": t.Name(), "hashString": e.Hash.String()}}, nil
}

// nameOf is a torrent's current name.
func (s *Server) nameOf(e entry) string {
	if e.RenamedName != "" {
		return e.RenamedName
	}
	if t := s.active(e); t != nil {
		return t.Name()
	}
	return e.Name
}

// saveAnd writes the daemon's state after a method changed it; the answer
// is the method's first error, else the save's.
func (s *Server) saveAnd(errs []error) (map[string]any, error) {
	if err := s.st.save(); err != nil {
		errs = append(errs, fmt.Errorf("save daemon state: %w", err))
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return nil, nil
}
