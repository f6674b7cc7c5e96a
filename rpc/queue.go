package rpc

import (
	"context"
	"time"

	"github.com/braid-bt/braid"
)

// Transmission's waiting states: a torrent the user has not stopped
// that the queue holds back.
const (
	statusDownloadWait = 3
	statusSeedWait     = 5
)

// TickInterval is how often Run applies the queue and the seed limits.
const TickInterval = 2 * time.Second

// Run applies the queue and the seed limits every interval until ctx
// ends.
func (s *Server) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.tick(time.Now())
		}
	}
}

// tick stops the seeding torrents that reached their limits, then runs
// the queue.
func (s *Server) tick(now time.Time) {
	s.noteActivity(now)
	s.applySeedLimits(now)
	s.schedule()
	if err := s.st.save(); err != nil {
		s.log.Warn("save daemon state", "err", err)
	}
}

// seeding reports whether a running torrent has every wanted piece.
func seeding(t *braid.Torrent) bool {
	st := t.State()
	return st == "seeding" || st == "finished"
}

// wantsNothing reports whether a stopped torrent had every wanted byte
// when it was last seen (so it queues to seed, not to download).
func (e *entry) wantsNothing() bool {
	if len(e.Files) == 0 {
		return false
	}
	skip := map[int]bool{}
	for _, u := range e.Unwanted {
		skip[u] = true
	}
	for i, f := range e.Files {
		if !skip[i] && f.Done < f.Length {
			return false
		}
	}
	return true
}

// schedule runs the queue: walking the torrents in queue order, running
// ones beyond the download or seed queue's size are stopped (they wait,
// status 3 or 5), then waiting ones start while there is room. Stalled
// torrents (no traffic for queue-stalled-minutes) take no room. As in
// Transmission a waiting torrent does not take a running one's room,
// whatever their positions. Torrents
// started with torrent-start-now pass the queue by (and take no room).
// It returns the start errors by torrent id. schedMu makes it the only
// one starting and stopping torrents for the queue at a time.
func (s *Server) schedule() map[int]error {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	dlOn, dlSize := s.sess.boolean("download-queue-enabled"), int(s.sess.int("download-queue-size"))
	seedOn, seedSize := s.sess.boolean("seed-queue-enabled"), int(s.sess.int("seed-queue-size"))
	room := func(seed bool, n *[2]int) bool {
		i, on, size := 0, dlOn, dlSize
		if seed {
			i, on, size = 1, seedOn, seedSize
		}
		if on && n[i] >= size {
			return false
		}
		n[i]++
		return true
	}
	q := s.st.queue()
	var used [2]int
	var stop, start []entry
	// Running torrents keep their room in queue order; the ones beyond a
	// queue's size (it shrank, or one just finished downloading) wait.
	for _, e := range q {
		// A paused one runs only to be verified: it takes no room. Nor
		// does one adopted from a resume record while it checks its data:
		// until then it is not known to be a download or a seed (a restart
		// adopting seeds beyond the download queue would stop them).
		t := s.active(e)
		if t == nil || e.adding || e.Forced || e.Paused || s.isStalled(e.ID) {
			continue
		}
		adoptedChecking := t.State() == "checking" && len(e.Files) == 0 && e.Magnet == ""
		if t.State() != "error" && !adoptedChecking && !room(seeding(t), &used) {
			stop = append(stop, e)
		}
	}
	// Waiting ones start, in queue order, while there is room. One never
	// seen running (adopted from a resume record) may be a download or a
	// seed: it starts, and the next run counts it as what it is.
	for _, e := range q {
		if e.adding || e.Paused || e.Error != "" || e.Forced || s.active(e) != nil {
			continue
		}
		if (len(e.Files) == 0 && e.Magnet == "") || room(e.wantsNothing(), &used) {
			start = append(start, e)
		}
	}
	for _, e := range stop {
		s.remember(e)
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			s.log.Warn("queue: stop", "info_hash", e.Hash.String(), "err", err)
		}
	}
	errs := map[int]error{}
	for _, e := range start {
		// Read again: a method not under schedMu (torrent-stop, say) may
		// have paused or started it since q was taken.
		cur, ok := s.st.get(e.ID)
		if !ok || cur.adding || cur.removing || cur.Paused || cur.Error != "" || cur.Forced || s.active(cur) != nil {
			continue
		}
		e = cur
		if err := s.resume(e); err != nil {
			s.log.Warn("start", "info_hash", e.Hash.String(), "err", err)
			s.st.update(e.ID, func(x *entry) { x.Error = err.Error() })
			errs[e.ID] = err
		}
	}
	return errs
}

// queued reports whether a stopped torrent waits in the queue.
func (e *entry) queued() bool { return !e.Paused && e.Error == "" }

// seedActivity is what applySeedLimits keeps between ticks: a torrent's
// upload total and when it last grew.
type seedActivity struct {
	uploaded int64
	since    time.Time
}

// applySeedLimits stops the seeding torrents whose ratio or idle limit
// (their own, or the session's) is reached; they are finished.
func (s *Server) applySeedLimits(now time.Time) {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	for _, e := range s.st.queue() {
		t := s.active(e)
		if t == nil || !seeding(t) {
			s.idleMu.Lock()
			delete(s.idle, e.ID)
			s.idleMu.Unlock()
			continue
		}
		// Published counters: reading them costs an idle torrent nothing.
		tr := t.Transfer()
		up, down, size := tr.Uploaded, tr.Fetched, t.Length()
		reason := ""
		if limit, on := s.ratioLimit(e); on {
			base := down
			if base <= 0 {
				base = size
			}
			if base > 0 && float64(up) >= limit*float64(base) {
				reason = "seed ratio limit reached"
			}
		}
		s.idleMu.Lock()
		a, seen := s.idle[e.ID]
		if !seen || up != a.uploaded {
			a = seedActivity{uploaded: up, since: now}
			s.idle[e.ID] = a
		}
		s.idleMu.Unlock()
		if mins, on := s.idleLimit(e); on && reason == "" && now.Sub(a.since) >= time.Duration(mins)*time.Minute {
			reason = "seed idle limit reached"
		}
		if reason == "" {
			continue
		}
		s.log.Info(reason, "info_hash", e.Hash.String())
		s.st.update(e.ID, func(x *entry) { x.Paused, x.Finished, x.Forced = true, true, false })
		s.remember(e)
		if err := s.c.StopAndSerialize(e.Hash); err != nil {
			s.log.Warn("stop", "info_hash", e.Hash.String(), "err", err)
		}
	}
}

// ratioLimit is the seed ratio that stops e, if any.
func (s *Server) ratioLimit(e entry) (float64, bool) {
	switch e.SeedRatioMode {
	case 1:
		return e.SeedRatioLimit, true
	case 2:
		return 0, false
	}
	return s.sess.float("seedRatioLimit"), s.sess.boolean("seedRatioLimited")
}

// idleLimit is the idle seeding time (minutes) that stops e, if any.
func (s *Server) idleLimit(e entry) (int64, bool) {
	switch e.SeedIdleMode {
	case 1:
		return e.SeedIdleLimit, true
	case 2:
		return 0, false
	}
	return s.sess.int("idle-seeding-limit"), s.sess.boolean("idle-seeding-limit-enabled")
}

// queueMove answers queue-move-top, -up, -down and -bottom.
func (s *Server) queueMove(where string) handler {
	return func(_ context.Context, a args) (map[string]any, error) {
		es, err := s.selectIDs(a)
		if err != nil {
			return nil, err
		}
		ids := make([]int, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		s.st.moveInQueue(ids, where, 0)
		s.schedule()
		return s.saveAnd(nil)
	}
}

// noteActivity records which running torrents moved no data for
// queue-stalled-minutes: they are stalled, and take no room in the queue.
func (s *Server) noteActivity(now time.Time) {
	on, mins := s.sess.boolean("queue-stalled-enabled"), s.sess.int("queue-stalled-minutes")
	type seen struct {
		id    int
		total int64
	}
	var running []seen
	for _, e := range s.st.all() {
		t := s.active(e)
		if t == nil {
			continue
		}
		tr := t.Transfer()
		running = append(running, seen{e.ID, tr.Uploaded + tr.Fetched})
	}
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	next, stalled := make(map[int]seedActivity, len(running)), map[int]bool{}
	for _, r := range running {
		a, ok := s.traffic[r.id]
		if !ok || a.uploaded != r.total {
			a = seedActivity{uploaded: r.total, since: now}
		}
		next[r.id] = a
		if on && now.Sub(a.since) >= time.Duration(mins)*time.Minute {
			stalled[r.id] = true
		}
	}
	s.traffic, s.stalled = next, stalled
}

// isStalled reports whether a running torrent is stalled.
func (s *Server) isStalled(id int) bool {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	return s.stalled[id]
}
