package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/braid-bt/braid"
)

// unsupportedSet refuses the torrent-set arguments Braid cannot honour:
// groups.
func unsupportedSet(a args) error {
	if a.has("group") {
		return argErr("group: not supported by Braid's torrent-set")
	}
	return nil
}

// torrentSet changes labels, file choices, limits and queue places of
// the selected torrents. Every argument and every torrent is checked
// first: a bad one is the answer and nothing is changed. A running
// torrent takes a new file choice (wanted files, priorities) at once,
// without stopping; a stopped one keeps it for its next start.
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
	fa, err := parseFileArgs(a)
	if err != nil {
		return nil, err
	}
	lim, err := parseSeedLimits(a)
	if err != nil {
		return nil, err
	}
	tl, err := parseTorrentLimits(a)
	if err != nil {
		return nil, err
	}
	ta, err := parseTrackerArgs(a)
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
		prios    map[int]int
		index    []int // torrent index of each RPC file
		trackers [][]string
	}
	var changes []change
	for _, e := range es {
		c := change{e: e}
		if fa.any() {
			c.index = s.fileIndex(e)
			if len(c.index) == 0 {
				return nil, argErr(fmt.Sprintf("torrent %d: its files are not known yet (no metadata)", e.ID))
			}
			if c.unwanted, c.prios, err = fa.apply(fmt.Sprintf("torrent %d", e.ID), len(c.index), e.Unwanted, e.Priorities); err != nil {
				return nil, err
			}
		}
		if ta.given {
			who := fmt.Sprintf("torrent %d", e.ID)
			tiers, ok := s.trackersOf(e)
			if !ok {
				return nil, argErr(who + ": its trackers are not known yet (start it once)")
			}
			if c.trackers, err = ta.apply(who, tiers); err != nil {
				return nil, err
			}
		}
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
			tl.apply(x)
			if setLabels {
				x.Labels = slices.Clone(labels)
			}
			if fa.any() {
				x.Unwanted, x.Priorities = c.unwanted, c.prios
			}
			if ta.given {
				x.Trackers = c.trackers
			}
		})
		t := s.active(c.e)
		if t == nil {
			continue
		}
		if tl.given() || ta.given {
			e, _ := s.st.get(c.e.ID)
			s.applyLimits(e, t)
			s.applyTrackers(e, t)
		}
		if !fa.any() {
			continue
		}
		if len(c.e.Files) == 0 {
			s.remember(c.e) // the file list the next start's choice is made from
		}
		err := t.SetFilePriorities(filePriorities(c.index, c.unwanted, c.prios))
		if err != nil && !errors.Is(err, braid.ErrTorrentNotFound) {
			errs = append(errs, fmt.Errorf("torrent %d: %w", c.e.ID, err))
		}
	}
	if lim.hasQueuePos || lim.changesLimits || fa.any() {
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
