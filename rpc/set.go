package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// unsupportedSet refuses the torrent-set arguments Braid cannot honour:
// per-file priorities other than normal, per-torrent speed limits,
// bandwidth priority, peer limits, tracker edits and sequential download.
// Values that ask for what Braid does anyway (downloadLimited false,
// honorsSessionLimits true, priority-normal) pass.
func unsupportedSet(a args) error {
	is := func(k string, v string) bool { return a.has(k) && string(a[k]) == v }
	for _, k := range []string{"priority-high", "priority-low"} {
		if a.has(k) {
			return argErr(fmt.Sprintf("%s: per-file priority is not supported by Braid", k))
		}
	}
	for _, k := range []string{"downloadLimited", "uploadLimited"} {
		if is(k, "true") || is(k, "1") {
			return argErr(fmt.Sprintf("%s: per-torrent speed limits are not supported by Braid (the session's speed-limit-down and speed-limit-up apply)", k))
		}
	}
	if is("honorsSessionLimits", "false") || is("honorsSessionLimits", "0") {
		return argErr("honorsSessionLimits: every Braid torrent honours the session's speed limits")
	}
	if a.has("bandwidthPriority") && !is("bandwidthPriority", "0") {
		return argErr("bandwidthPriority: bandwidth priority is not supported by Braid")
	}
	for _, k := range []string{"peer-limit", "trackerAdd", "trackerRemove", "trackerReplace", "trackerList", "group"} {
		if a.has(k) {
			return argErr(fmt.Sprintf("%s: not supported by Braid's torrent-set", k))
		}
	}
	if is("sequentialDownload", "true") || is("sequentialDownload", "1") {
		return argErr("sequentialDownload: not supported by Braid's torrent-set")
	}
	return nil
}

// torrentSet changes labels and wanted files of the selected torrents.
// Every argument and every torrent is checked first: a bad one is the
// answer and nothing is changed.
//
// Braid chooses a torrent's files when it starts it, so a change of
// wanted files on a running torrent stops it (saving its resume record)
// and resumes it with the new choice, as torrent-stop and torrent-start
// do; a stopped torrent keeps the choice for its next start.
func (s *Server) torrentSet(_ context.Context, a args) (map[string]any, error) {
	if err := unsupportedSet(a); err != nil {
		return nil, err
	}
	labels, setLabels, err := a.strs("labels")
	if err != nil {
		return nil, err
	}
	for _, l := range labels {
		if strings.TrimSpace(l) == "" || strings.Contains(l, ",") {
			return nil, argErr(fmt.Sprintf("invalid argument \"labels\": %q (a label is not empty and has no comma)", l))
		}
	}
	wanted, err := a.ints("files-wanted")
	if err != nil {
		return nil, err
	}
	unwanted, err := a.ints("files-unwanted")
	if err != nil {
		return nil, err
	}
	setWanted, setUnwanted := a.has("files-wanted"), a.has("files-unwanted")
	lim, err := parseSeedLimits(a)
	if err != nil {
		return nil, err
	}
	es, err := s.selectIDs(a)
	if err != nil {
		return nil, err
	}
	type change struct {
		e        entry
		unwanted []int
		restart  bool
	}
	var changes []change
	for _, e := range es {
		c := change{e: e, unwanted: e.Unwanted}
		if setWanted || setUnwanted {
			running := s.active(e) != nil
			n := len(e.Files)
			if running {
				fs, _ := s.c.ListFiles(e.Hash)
				n = len(fs)
			}
			if n == 0 {
				return nil, argErr(fmt.Sprintf("torrent %d: its files are not known yet (no metadata)", e.ID))
			}
			skip := map[int]bool{}
			for _, u := range e.Unwanted {
				skip[u] = true
			}
			// An empty array names every file, as in Transmission.
			all := func(l []int) []int {
				if len(l) > 0 {
					return l
				}
				out := make([]int, n)
				for i := range out {
					out[i] = i
				}
				return out
			}
			for _, set := range []struct {
				key  string
				list []int
				on   bool
				skip bool
			}{{"files-wanted", wanted, setWanted, false}, {"files-unwanted", unwanted, setUnwanted, true}} {
				if !set.on {
					continue
				}
				for _, i := range all(set.list) {
					if i < 0 || i >= n {
						return nil, argErr(fmt.Sprintf("invalid argument %q: file %d (torrent %d has %d)", set.key, i, e.ID, n))
					}
					if set.skip {
						skip[i] = true
					} else {
						delete(skip, i)
					}
				}
			}
			if len(skip) == n {
				return nil, argErr(fmt.Sprintf("invalid argument \"files-unwanted\": every file of torrent %d would be unwanted", e.ID))
			}
			c.unwanted = make([]int, 0, len(skip))
			for i := range skip {
				c.unwanted = append(c.unwanted, i)
			}
			slices.Sort(c.unwanted)
			old := slices.Clone(e.Unwanted)
			slices.Sort(old)
			c.restart = running && !slices.Equal(old, c.unwanted)
		}
		c.e = e
		changes = append(changes, c)
	}
	var errs []error
	if lim.hasQueuePos {
		ids := make([]int, len(changes))
		for i, c := range changes {
			ids[i] = c.e.ID
		}
		s.st.moveInQueue(ids, "set", lim.queuePos)
	}
	for _, c := range changes {
		s.st.update(c.e.ID, func(x *entry) {
			lim.apply(x)
			if setLabels {
				x.Labels = slices.Clone(labels)
			}
			if setWanted || setUnwanted {
				if len(c.unwanted) == 0 {
					x.Unwanted = nil
				} else {
					x.Unwanted = c.unwanted
				}
			}
		})
		if c.restart {
			s.remember(c.e) // the file list the resume's choice is made from
			if err := s.c.StopAndSerialize(c.e.Hash); err != nil {
				s.log.Warn("stop", "info_hash", c.e.Hash.String(), "err", err)
			}
			e, _ := s.st.get(c.e.ID)
			if err := s.resume(e); err != nil {
				s.st.update(e.ID, func(x *entry) { x.Error = err.Error() })
				errs = append(errs, err)
			}
		}
	}
	if lim.hasQueuePos || lim.changesLimits {
		s.schedule()
	}
	return s.saveAnd(errs)
}

// seedLimits are torrent-set's queue and seed limit arguments.
type seedLimits struct {
	ratioMode, idleMode *int
	ratio               *float64
	idle                *int64
	queuePos            int
	hasQueuePos         bool
	changesLimits       bool
}

func parseSeedLimits(a args) (seedLimits, error) {
	var l seedLimits
	num := func(k string, max float64) (float64, bool, error) {
		if !a.has(k) {
			return 0, false, nil
		}
		var f float64
		if err := json.Unmarshal(a[k], &f); err != nil || f < 0 || f > max {
			return 0, false, argErr(fmt.Sprintf("invalid argument %q: want a number from 0 to %g", k, max))
		}
		return f, true, nil
	}
	mode := func(k string) (*int, error) {
		f, ok, err := num(k, 2)
		if err != nil || !ok {
			return nil, err
		}
		if f != float64(int(f)) {
			return nil, argErr(fmt.Sprintf("invalid argument %q: want 0, 1 or 2", k))
		}
		m := int(f)
		return &m, nil
	}
	var err error
	if l.ratioMode, err = mode("seedRatioMode"); err != nil {
		return l, err
	}
	if l.idleMode, err = mode("seedIdleMode"); err != nil {
		return l, err
	}
	if f, ok, err := num("seedRatioLimit", 1e9); err != nil {
		return l, err
	} else if ok {
		l.ratio = &f
	}
	if f, ok, err := num("seedIdleLimit", 1<<40); err != nil {
		return l, err
	} else if ok {
		n := int64(f)
		l.idle = &n
	}
	if f, ok, err := num("queuePosition", 1<<31); err != nil {
		return l, err
	} else if ok {
		l.queuePos, l.hasQueuePos = int(f), true
	}
	l.changesLimits = l.ratioMode != nil || l.idleMode != nil || l.ratio != nil || l.idle != nil
	return l, nil
}

func (l seedLimits) apply(x *entry) {
	if l.ratioMode != nil {
		x.SeedRatioMode = *l.ratioMode
	}
	if l.idleMode != nil {
		x.SeedIdleMode = *l.idleMode
	}
	if l.ratio != nil {
		x.SeedRatioLimit = *l.ratio
	}
	if l.idle != nil {
		x.SeedIdleLimit = *l.idle
	}
}
