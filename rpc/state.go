package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/internal/atomicfile"
)

// maxStateFile bounds the daemon state file read at start.
const maxStateFile = 256 << 20

// entry is what the daemon keeps of one torrent besides its resume
// record: its RPC id, whether the user stopped it, labels, and the last
// known figures of a stopped torrent (which has no live statistics).
type entry struct {
	ID        int            `json:"id"`
	Hash      braid.InfoHash `json:"hash"`
	Paused    bool           `json:"paused"`
	Labels    []string       `json:"labels,omitempty"`
	Dir       string         `json:"dir"`
	AddedDate int64          `json:"added_date"`
	DoneDate  int64          `json:"done_date,omitempty"`
	Unwanted  []int          `json:"unwanted,omitempty"`
	// Priorities are the files' priorities other than normal, by RPC
	// file number: -1 low, 1 high (Transmission's values).
	Priorities map[int]int `json:"priorities,omitempty"`
	// Magnet is the link a torrent was added by, for starting it while
	// it has no resume record (no metadata yet).
	Magnet string `json:"magnet,omitempty"`
	// RenamedName and RenamedFiles are torrent-rename-path's renames: the
	// torrent's (top folder's or single file's) name, and file paths below
	// the top folder by file index.
	RenamedName  string           `json:"renamed_name,omitempty"`
	RenamedFiles map[int][]string `json:"renamed_files,omitempty"`

	// Target is where the data moves when the torrent completes, while it
	// downloads in the incomplete directory (Dir); "" when it is in place.
	Target string `json:"target,omitempty"`
	// QueuePos is the torrent's place in the queue (0 first).
	QueuePos int `json:"queue_position"`
	// Forced: started by torrent-start-now, so the queue limits pass it by.
	Forced bool `json:"forced,omitempty"`
	// Finished: stopped by its seed ratio or idle limit.
	Finished bool `json:"finished,omitempty"`
	// Seed limits: mode 0 follows the session, 1 uses this torrent's
	// limit, 2 is unlimited (Transmission's seedRatioMode, seedIdleMode).
	SeedRatioMode  int     `json:"seed_ratio_mode,omitempty"`
	SeedRatioLimit float64 `json:"seed_ratio_limit,omitempty"`
	SeedIdleMode   int     `json:"seed_idle_mode,omitempty"`
	SeedIdleLimit  int64   `json:"seed_idle_limit,omitempty"` // minutes

	// Per-torrent limits (Transmission's torrent-set): speeds in kB/s,
	// used while the matching Limited is set; the session's limits apply
	// too unless IgnoresSessionLimits. PeerLimit 0 follows the session.
	DownloadLimit        int64 `json:"download_limit,omitempty"`
	DownloadLimited      bool  `json:"download_limited,omitempty"`
	UploadLimit          int64 `json:"upload_limit,omitempty"`
	UploadLimited        bool  `json:"upload_limited,omitempty"`
	IgnoresSessionLimits bool  `json:"ignores_session_limits,omitempty"`
	// BandwidthPriority is kept and reported (-1 low, 0 normal, 1 high);
	// Braid's choker does not act on it.
	BandwidthPriority int `json:"bandwidth_priority,omitempty"`
	PeerLimit         int `json:"peer_limit,omitempty"`
	// Sequential: pieces in index order (sequentialDownload).
	Sequential bool `json:"sequential,omitempty"`
	// Trackers are the torrent's tiers of announce URLs as the daemon
	// knows them (edited by torrent-set, given to the torrent at every
	// start); nil until known.
	Trackers [][]string `json:"trackers,omitempty"`

	// Last known, for a stopped torrent.
	Name       string     `json:"name"`
	TotalSize  int64      `json:"total_size"`
	Left       int64      `json:"left"`
	Uploaded   int64      `json:"uploaded"`
	Downloaded int64      `json:"downloaded"`
	Files      []fileInfo `json:"files,omitempty"`
	Error      string     `json:"error,omitempty"`

	// adding: torrent-add has recorded the entry but not yet started the
	// torrent (nor answered). The queue leaves it be and it is not saved.
	adding bool
	// removing: torrent-remove is stopping it; the queue leaves it be.
	removing bool
}

// fileInfo is one file of a stopped torrent, as last seen.
type fileInfo struct {
	Index  int    `json:"index"`
	Path   string `json:"path"`
	Length int64  `json:"length"`
	Done   int64  `json:"done"`
}

type stateFile struct {
	Version  int      `json:"version"`
	NextID   int      `json:"next_id"`
	Sessions int      `json:"sessions"`
	Torrents []*entry `json:"torrents"`
}

// store holds the entries. mu guards the maps only: the state file is
// written under writeMu, which nothing but saving takes.
//
// Every change bumps version; save writes only when the version saved
// last is older. Saves waiting on writeMu while one writes are so
// coalesced: the next one writes every change made until then, the
// others find nothing left to write.
type store struct {
	path    string
	writeMu sync.Mutex
	saved   uint64 // the version last written; under writeMu

	mu       sync.Mutex
	nextID   int
	sessions int
	dir      string // the default download directory
	byID     map[int]*entry
	byHash   map[braid.InfoHash]*entry
	version  uint64 // bumped under mu by every change
}

func loadStore(path, dir string) (*store, error) {
	s := &store{path: path, nextID: 1, dir: dir, version: 1, byID: map[int]*entry{}, byHash: map[braid.InfoHash]*entry{}}
	if path == "" {
		return s, nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("daemon state %s: %w", path, err)
	}
	if fi.Size() > maxStateFile {
		return nil, fmt.Errorf("daemon state %s: larger than %d bytes", path, maxStateFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("daemon state %s: %w", path, err)
	}
	var sf stateFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return nil, fmt.Errorf("daemon state %s: %w", path, err)
	}
	s.sessions = sf.Sessions
	if sf.NextID > s.nextID {
		s.nextID = sf.NextID
	}
	for _, e := range sf.Torrents {
		if e == nil || e.ID <= 0 {
			continue
		}
		if _, dup := s.byID[e.ID]; dup {
			continue
		}
		if _, dup := s.byHash[e.Hash]; dup {
			continue
		}
		s.byID[e.ID], s.byHash[e.Hash] = e, e
		if e.ID >= s.nextID {
			s.nextID = e.ID + 1
		}
	}
	s.renumber()
	return s, nil
}

// renumber makes the queue positions 0..n-1 in their present order (ids
// break ties); under mu.
func (s *store) renumber() {
	q := make([]*entry, 0, len(s.byID))
	for _, e := range s.byID {
		q = append(q, e)
	}
	sort.Slice(q, func(i, j int) bool {
		if q[i].QueuePos != q[j].QueuePos {
			return q[i].QueuePos < q[j].QueuePos
		}
		return q[i].ID < q[j].ID
	})
	for i, e := range q {
		e.QueuePos = i
	}
}

// queue returns copies of every entry in queue order.
func (s *store) queue() []entry {
	out := s.all()
	sort.Slice(out, func(i, j int) bool { return out[i].QueuePos < out[j].QueuePos })
	return out
}

// moveInQueue places the entries of ids (keeping their order) by where:
// "top", "up", "down", "bottom"; or at position pos for "set".
func (s *store) moveInQueue(ids []int, where string, pos int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed()
	s.renumber()
	q := make([]*entry, len(s.byID))
	for _, e := range s.byID {
		q[e.QueuePos] = e
	}
	moving := map[int]bool{}
	for _, id := range ids {
		if _, ok := s.byID[id]; ok {
			moving[id] = true
		}
	}
	switch where {
	case "up", "down":
		// Each moving entry swaps with its neighbour that is not moving.
		step, start, end := -1, 1, len(q)
		if where == "down" {
			step, start, end = 1, len(q)-2, -1
		}
		for i := start; i != end; i -= step {
			if moving[q[i].ID] && !moving[q[i+step].ID] {
				q[i], q[i+step] = q[i+step], q[i]
			}
		}
	default:
		var in, rest []*entry
		for _, e := range q {
			if moving[e.ID] {
				in = append(in, e)
			} else {
				rest = append(rest, e)
			}
		}
		at := 0
		switch where {
		case "bottom":
			at = len(rest)
		case "set":
			at = min(max(pos, 0), len(rest))
		}
		q = append(append(append([]*entry{}, rest[:at]...), in...), rest[at:]...)
	}
	for i, e := range q {
		e.QueuePos = i
	}
}

// save writes the state file atomically. The snapshot is taken under mu,
// the write happens under writeMu only.
func (s *store) save() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.path == "" {
		return nil
	}
	s.mu.Lock()
	if s.version == s.saved {
		s.mu.Unlock()
		return nil
	}
	ver := s.version
	sf := stateFile{Version: 1, NextID: s.nextID, Sessions: s.sessions, Torrents: make([]*entry, 0, len(s.byID))}
	for _, e := range s.byID {
		if e.adding {
			continue
		}
		c := *e
		sf.Torrents = append(sf.Torrents, &c)
	}
	s.mu.Unlock()
	sort.Slice(sf.Torrents, func(i, j int) bool { return sf.Torrents[i].ID < sf.Torrents[j].ID })
	data, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, data, 0o600); err != nil {
		return err
	}
	s.saved = ver
	return nil
}

// changed notes a change for save; under mu.
func (s *store) changed() { s.version++ }

// get returns a copy of the entry with that id.
func (s *store) get(id int) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return entry{}, false
	}
	return *e, true
}

// byInfoHash returns a copy of the entry of ih.
func (s *store) byInfoHash(ih braid.InfoHash) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byHash[ih]
	if !ok {
		return entry{}, false
	}
	return *e, true
}

// add records a new torrent and returns its id; ok is false (with the
// existing entry's id) when ih is already known.
func (s *store) add(e entry) (id int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, dup := s.byHash[e.Hash]; dup {
		return old.ID, false
	}
	s.changed()
	e.ID = s.nextID
	s.nextID++
	e.QueuePos = len(s.byID)
	s.byID[e.ID], s.byHash[e.Hash] = &e, &e
	return e.ID, true
}

// update changes the entry of id (if it is still there).
func (s *store) update(id int, f func(e *entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.changed()
		f(e)
	}
}

// remove forgets the entry of id.
func (s *store) remove(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.changed()
		delete(s.byHash, e.Hash)
		delete(s.byID, id)
		s.renumber()
	}
}

// all returns copies of every entry, by id.
func (s *store) all() []entry {
	s.mu.Lock()
	out := make([]entry, 0, len(s.byID))
	for _, e := range s.byID {
		out = append(out, *e)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *store) downloadDir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

func (s *store) setDownloadDir(d string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir = d
}
