package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

// trackerArgs are torrent-set's tracker edits (Transmission 4): trackerList
// replaces every tracker (announce URLs one a line, tiers apart by a blank
// line); trackerAdd adds URLs, each in a tier of its own; trackerRemove
// drops trackers by id; trackerReplace gives trackers new URLs, as pairs
// of id and URL. Tracker ids number the announce URLs over all tiers, in
// order, as torrent-get's trackers report them.
type trackerArgs struct {
	list    *[][]string
	add     []string
	remove  []int
	replace []trackerSwap
	given   bool
}

type trackerSwap struct {
	id  int
	url string
}

func parseTrackerArgs(a args) (trackerArgs, error) {
	var ta trackerArgs
	if s, ok, err := a.str("trackerList"); err != nil {
		return ta, err
	} else if ok {
		tiers := parseTrackerList(s)
		ta.list = &tiers
	}
	add, _, err := a.strs("trackerAdd")
	if err != nil {
		return ta, err
	}
	ta.add = add
	if ta.remove, err = a.ints("trackerRemove"); err != nil {
		return ta, err
	}
	if a.has("trackerReplace") {
		if ta.replace, err = parseSwaps(a["trackerReplace"]); err != nil {
			return ta, err
		}
	}
	ta.given = ta.list != nil || a.has("trackerAdd") || a.has("trackerRemove") || a.has("trackerReplace")
	return ta, nil
}

// parseTrackerList splits a trackerList string into tiers.
func parseTrackerList(s string) [][]string {
	var tiers [][]string
	var tier []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if len(tier) > 0 {
				tiers, tier = append(tiers, tier), nil
			}
			continue
		}
		tier = append(tier, line)
	}
	if len(tier) > 0 {
		tiers = append(tiers, tier)
	}
	return tiers
}

// formatTrackerList is the trackerList string of tiers.
func formatTrackerList(tiers [][]string) string {
	parts := make([]string, len(tiers))
	for i, tier := range tiers {
		parts[i] = strings.Join(tier, "\n")
	}
	return strings.Join(parts, "\n\n")
}

// parseSwaps reads trackerReplace: a flat array [id, url, id, url, ...]
// (what Transmission sends) or an array of [id, url] pairs.
func parseSwaps(raw json.RawMessage) ([]trackerSwap, error) {
	bad := argErr("invalid argument \"trackerReplace\": want pairs of a tracker id and a URL")
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, bad
	}
	if len(items) > 0 && bytes.HasPrefix(bytes.TrimSpace(items[0]), []byte("[")) {
		var flat []json.RawMessage
		for _, it := range items {
			var pair []json.RawMessage
			if err := json.Unmarshal(it, &pair); err != nil || len(pair) != 2 {
				return nil, bad
			}
			flat = append(flat, pair...)
		}
		items = flat
	}
	if len(items)%2 != 0 {
		return nil, bad
	}
	var out []trackerSwap
	for i := 0; i < len(items); i += 2 {
		var sw trackerSwap
		if json.Unmarshal(items[i], &sw.id) != nil || json.Unmarshal(items[i+1], &sw.url) != nil {
			return nil, bad
		}
		out = append(out, sw)
	}
	return out, nil
}

// apply edits tiers; who names the torrent in errors.
func (ta trackerArgs) apply(who string, tiers [][]string) ([][]string, error) {
	out := make([][]string, 0, len(tiers))
	for _, tier := range tiers {
		out = append(out, slices.Clone(tier))
	}
	if ta.list != nil {
		out = *ta.list
	}
	type pos struct{ tier, i int }
	var at []pos
	for ti, tier := range out {
		for i := range tier {
			at = append(at, pos{ti, i})
		}
	}
	for _, sw := range ta.replace {
		if sw.id < 0 || sw.id >= len(at) {
			return nil, argErr(fmt.Sprintf("invalid argument \"trackerReplace\": tracker %d (%s has %d)", sw.id, who, len(at)))
		}
		out[at[sw.id].tier][at[sw.id].i] = sw.url
	}
	drop := map[pos]bool{}
	for _, id := range ta.remove {
		if id < 0 || id >= len(at) {
			return nil, argErr(fmt.Sprintf("invalid argument \"trackerRemove\": tracker %d (%s has %d)", id, who, len(at)))
		}
		drop[at[id]] = true
	}
	var kept [][]string
	seen := map[string]bool{}
	for ti, tier := range out {
		var k []string
		for i, u := range tier {
			if !drop[pos{ti, i}] && !seen[u] {
				seen[u] = true
				k = append(k, u)
			}
		}
		if len(k) > 0 {
			kept = append(kept, k)
		}
	}
	for _, u := range ta.add {
		if !seen[u] {
			seen[u] = true
			kept = append(kept, []string{u})
		}
	}
	if err := braid.CheckTrackers(kept); err != nil {
		if errors.Is(err, braid.ErrBadTracker) {
			return nil, argErr(fmt.Sprintf("invalid tracker for %s: %v", who, err))
		}
		return nil, err
	}
	if kept == nil {
		kept = [][]string{}
	}
	return kept, nil
}

// trackersOf are e's tiers: the daemon's list, else the running
// torrent's, else a magnet's.
func (s *Server) trackersOf(e entry) ([][]string, bool) {
	if e.Trackers != nil {
		return e.Trackers, true
	}
	if t := s.active(e); t != nil {
		return t.Trackers(), true
	}
	if e.Magnet != "" {
		if m, err := metainfo.ParseMagnet(e.Magnet); err == nil {
			tiers := make([][]string, 0, len(m.Trackers))
			for _, u := range m.Trackers {
				tiers = append(tiers, []string{u})
			}
			return tiers, true
		}
	}
	return nil, false
}

// applyTrackers gives a running torrent the daemon's list, when it has
// one that differs.
func (s *Server) applyTrackers(e entry, t *braid.Torrent) {
	if e.Trackers == nil || slices.EqualFunc(e.Trackers, t.Trackers(), slices.Equal) {
		return
	}
	if err := t.SetTrackers(e.Trackers); err != nil {
		s.log.Warn("set trackers", "info_hash", e.Hash.String(), "err", err)
	}
}

// trackerFields are torrent-get's tracker fields.
var trackerFields = map[string]func(v *view) any{
	"trackerList": func(v *view) any {
		tiers, _ := v.s.trackersOf(v.e)
		return formatTrackerList(tiers)
	},
	"trackers": func(v *view) any {
		tiers, _ := v.s.trackersOf(v.e)
		out := []map[string]any{}
		id := 0
		for ti, tier := range tiers {
			for _, u := range tier {
				site := ""
				if pu, err := url.Parse(u); err == nil {
					site = pu.Hostname()
				}
				out = append(out, map[string]any{"announce": u, "id": id, "scrape": "", "sitename": site, "tier": ti})
				id++
			}
		}
		return out
	},
}

// trackerStats is torrent-get's trackerStats: the trackers of the list,
// with what the running torrent last heard from each.
func (v *view) trackerStats() []map[string]any {
	tiers, _ := v.s.trackersOf(v.e)
	live := map[string]braid.TrackerInfo{}
	if v.t != nil {
		if st, err := v.s.c.Stats(v.e.Hash, "trackers"); err == nil {
			trs, _ := st["trackers"].([]braid.TrackerInfo)
			for _, tr := range trs {
				live[tr.URL] = tr
			}
		}
	}
	out := []map[string]any{}
	id := 0
	for ti, tier := range tiers {
		for i, u := range tier {
			host, site := "", ""
			if pu, err := url.Parse(u); err == nil {
				host, site = pu.Scheme+"://"+pu.Host, pu.Hostname()
			}
			tr, known := live[u]
			state := 0 // inactive
			if v.t != nil {
				state = 1 // waiting for its next announce
			}
			var last int64
			if !tr.LastAnnounce.IsZero() {
				last = tr.LastAnnounce.Unix()
			}
			out = append(out, map[string]any{
				"announce": u, "announceState": state, "downloadCount": -1, "hasAnnounced": known && last > 0,
				"hasScraped": false, "host": host, "id": id, "isBackup": i > 0,
				"lastAnnouncePeerCount": tr.Peers, "lastAnnounceResult": tr.Error, "lastAnnounceStartTime": last,
				"lastAnnounceSucceeded": known && tr.Error == "" && last > 0, "lastAnnounceTime": last, "lastAnnounceTimedOut": false,
				"lastScrapeResult": "", "lastScrapeStartTime": 0, "lastScrapeSucceeded": false, "lastScrapeTime": 0,
				"lastScrapeTimedOut": false, "leecherCount": -1, "nextAnnounceTime": 0, "nextScrapeTime": 0,
				"scrape": "", "scrapeState": 0, "seederCount": -1, "sitename": site, "tier": ti,
			})
			if known {
				out[len(out)-1]["seederCount"], out[len(out)-1]["leecherCount"] = tr.Seeders, tr.Leechers
			}
			id++
		}
	}
	return out
}

func init() {
	trackerFields["trackerStats"] = func(v *view) any { return v.trackerStats() }
	for k, f := range trackerFields {
		torrentFields[k] = f
	}
}
