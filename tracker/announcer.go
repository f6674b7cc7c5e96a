package tracker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Announcer defaults and bounds.
const (
	defaultMinInterval = 30 * time.Second
	maxInterval        = time.Hour
	defaultInterval    = 30 * time.Minute // when a tracker gives none
	defaultRetryMin    = 15 * time.Second
	defaultRetryMax    = 30 * time.Minute
	defaultNumWant     = 50
	// DefaultScrapeInterval is the time between two scrapes of one tracker.
	DefaultScrapeInterval = 30 * time.Minute
)

// AnnouncerConfig describes the torrent an Announcer speaks for.
type AnnouncerConfig struct {
	InfoHash, PeerID [20]byte
	Port             uint16
	// Status is called before each announce (from Run's goroutine, or from
	// Stop's once Run has returned).
	Status func() (uploaded, downloaded, left int64)
	// OnPeers is called from Run's goroutine with each non-empty peer list.
	OnPeers func(peers []netip.AddrPort)
	// OnError, if set, is called from Run's goroutine for each failed
	// announce (and once per unusable tracker URL).
	OnError func(url string, err error)
	NumWant int // default 50
	// MinInterval is the floor for re-announces; default 30 s.
	MinInterval time.Duration
	// RetryMin and RetryMax bound the jittered exponential back-off after
	// every tracker of a tier failed; defaults 15 s and 30 min.
	RetryMin, RetryMax time.Duration
	// ScrapeInterval is the time between two scrapes of one tracker (each
	// is also scraped once when Run starts); default DefaultScrapeInterval,
	// negative turns scraping off.
	ScrapeInterval time.Duration
	ClientOptions  ClientOptions
}

// TrackerStatus is a snapshot of one tracker as the Announcer sees it.
type TrackerStatus struct {
	URL               string
	Tier              int
	LastError         error     // of the last attempt; nil after a success
	LastAnnounce      time.Time // last successful announce
	NextAnnounce      time.Time // zero unless this is its tier's current tracker
	Peers             int       // peers in the last reply
	Seeders, Leechers int
	// The last successful scrape (BEP 48, BEP 15): its time (zero if none
	// yet) and the tracker's counters for the torrent.
	LastScrape                                     time.Time
	ScrapeSeeders, ScrapeLeechers, ScrapeCompleted int
	ScrapeError                                    error // of the last scrape; nil after a success
}

// Announcer runs the BEP 12 multitracker tiers of one torrent: each tier
// announces to its first working tracker, independently of the others.
// Its methods are safe for concurrent use, but Stop must not be called
// from OnPeers or OnError (Run would wait for itself until Stop's ctx ends).
type Announcer struct {
	cfg      AnnouncerConfig
	key      uint32
	tiers    []*tier
	unusable []*trackerEntry // bad URLs, kept for Status

	completed  atomic.Bool
	reannounce atomic.Bool
	wake       chan struct{}
	stopReq    chan *stopRequest
	done       chan struct{}

	stopMu sync.Mutex // serializes sendStopped

	mu    sync.Mutex // guards the fields below and the tiers' reported fields
	state runState
}

type runState int

const (
	stateIdle runState = iota
	stateRunning
	stateFinished
)

type tier struct {
	index    int
	trackers []*trackerEntry // BEP 12 order: shuffled once, winners first
	cur      int             // tracker to try next
	next     time.Time
	fails    int // consecutive rounds where every tracker failed
	busy     bool

	completedQueued  bool // Completed() seen by this tier
	completedPending bool // event=completed still to deliver
}

type trackerEntry struct {
	url    string
	tier   int
	client Client

	registered   bool // answered an announce since our last stopped
	lastErr      error
	lastAnnounce time.Time
	minInterval  time.Duration
	peers        int
	seeders      int
	leechers     int

	scrapeNext time.Time // when to scrape next
	scraping   bool      // a scrape is in flight
	noScrape   bool      // the tracker has no scrape: never ask again
	scrapeErr  error
	lastScrape time.Time
	scrape     ScrapeResult
}

type stopRequest struct {
	ctx  context.Context
	done chan error
}

type jobResult struct {
	tier  *tier
	tr    *trackerEntry
	event Event
	resp  *AnnounceResponse
	err   error
}

type scrapeJob struct {
	tr  *trackerEntry
	res ScrapeResult
	err error
}

// NewAnnouncer prepares tiers of announce URLs (BEP 12). Each tier is
// shuffled once; duplicate and empty URLs are dropped.
func NewAnnouncer(tiers [][]string, cfg AnnouncerConfig) *Announcer {
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = defaultMinInterval
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = defaultRetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(defaultRetryMax, cfg.RetryMin)
	}
	if cfg.NumWant <= 0 {
		cfg.NumWant = defaultNumWant
	}
	if cfg.ScrapeInterval == 0 {
		cfg.ScrapeInterval = DefaultScrapeInterval
	}
	a := &Announcer{
		cfg:     cfg,
		key:     rand.Uint32(),
		wake:    make(chan struct{}, 1),
		stopReq: make(chan *stopRequest),
		done:    make(chan struct{}),
	}
	seen := make(map[string]bool)
	for _, urls := range tiers {
		t := &tier{index: len(a.tiers)}
		for _, u := range urls {
			u = strings.TrimSpace(u)
			if u == "" || seen[u] {
				continue
			}
			seen[u] = true
			tr := &trackerEntry{url: u, tier: t.index}
			c, err := NewClient(u, cfg.ClientOptions)
			if err != nil {
				tr.lastErr = err
				a.unusable = append(a.unusable, tr)
				continue
			}
			tr.client = c
			t.trackers = append(t.trackers, tr)
		}
		if len(t.trackers) == 0 {
			continue
		}
		rand.Shuffle(len(t.trackers), func(i, j int) {
			t.trackers[i], t.trackers[j] = t.trackers[j], t.trackers[i]
		})
		a.tiers = append(a.tiers, t)
	}
	return a
}

// Completed asks for an event=completed announce to each tier, once.
func (a *Announcer) Completed() {
	if a.completed.CompareAndSwap(false, true) {
		a.poke()
	}
}

// Reannounce asks every tier for peers now, within the floor of
// MinInterval (and the tracker's min interval) since its last announce.
// A tier backing off after failures keeps its schedule.
func (a *Announcer) Reannounce() {
	a.reannounce.Store(true)
	a.poke()
}

func (a *Announcer) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Status reports every tracker, tier by tier, then the unusable URLs.
func (a *Announcer) Status() []TrackerStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []TrackerStatus
	for _, t := range a.tiers {
		for i, tr := range t.trackers {
			st := tr.status()
			if i == t.cur {
				st.NextAnnounce = t.next
			}
			out = append(out, st)
		}
	}
	for _, tr := range a.unusable {
		out = append(out, tr.status())
	}
	return out
}

func (tr *trackerEntry) status() TrackerStatus {
	return TrackerStatus{
		URL: tr.url, Tier: tr.tier, LastError: tr.lastErr, LastAnnounce: tr.lastAnnounce,
		Peers: tr.peers, Seeders: tr.seeders, Leechers: tr.leechers,
		LastScrape: tr.lastScrape, ScrapeSeeders: tr.scrape.Seeders,
		ScrapeLeechers: tr.scrape.Leechers, ScrapeCompleted: tr.scrape.Completed,
		ScrapeError: tr.scrapeErr,
	}
}

// Run announces event=started to each tier, then re-announces at the
// trackers' intervals until ctx ends or Stop is called. It returns at once
// if Run or Stop was called before.
func (a *Announcer) Run(ctx context.Context) {
	a.mu.Lock()
	if a.state != stateIdle {
		a.mu.Unlock()
		return
	}
	a.state = stateRunning
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.state = stateFinished
		a.mu.Unlock()
		close(a.done)
	}()

	for _, tr := range a.unusable {
		a.reportError(tr.url, tr.lastErr)
	}
	jobCtx, cancelJobs := context.WithCancel(ctx)
	defer cancelJobs()
	results := make(chan jobResult, len(a.tiers))
	inflight := 0
	ntrackers := 0
	for _, t := range a.tiers {
		ntrackers += len(t.trackers)
	}
	scrapes := make(chan scrapeJob, ntrackers)
	scraping := 0
	// finish cancels the announces in flight and records their outcome, so
	// a started that did reach a tracker is followed by a stopped.
	finish := func() {
		cancelJobs()
		for ; inflight > 0; inflight-- {
			a.apply(<-results, true)
		}
		for ; scraping > 0; scraping-- {
			<-scrapes
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		wait := time.Duration(-1)
		for _, t := range a.tiers {
			if t.busy {
				continue
			}
			if !now.Before(t.next) {
				a.launch(jobCtx, t, results)
				inflight++
				continue
			}
			if d := t.next.Sub(now); wait < 0 || d < wait {
				wait = d
			}
		}
		if a.cfg.ScrapeInterval > 0 {
			for _, t := range a.tiers {
				for _, tr := range t.trackers {
					if tr.scraping || tr.noScrape {
						continue
					}
					if !now.Before(tr.scrapeNext) {
						a.launchScrape(jobCtx, tr, scrapes)
						scraping++
						continue
					}
					if d := tr.scrapeNext.Sub(now); wait < 0 || d < wait {
						wait = d
					}
				}
			}
		}
		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			finish()
			return
		case r := <-results:
			inflight--
			a.apply(r, jobCtx.Err() != nil)
		case r := <-scrapes:
			scraping--
			a.applyScrape(r)
		case <-tc:
		case <-a.wake:
			a.onWake(time.Now())
		case req := <-a.stopReq:
			finish()
			req.done <- a.sendStopped(req.ctx)
			return
		}
		if tc != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// launch starts one announce for tier t in its own goroutine.
func (a *Announcer) launch(ctx context.Context, t *tier, results chan<- jobResult) {
	a.mu.Lock()
	t.busy = true
	tr := t.trackers[t.cur]
	ev := EventNone
	switch {
	case !tr.registered:
		ev = EventStarted
	case t.completedPending:
		ev = EventCompleted
	}
	a.mu.Unlock()
	req := a.request(ev)
	go func() {
		resp, err := tr.client.Announce(ctx, req)
		results <- jobResult{tier: t, tr: tr, event: ev, resp: resp, err: err}
	}()
}

// launchScrape asks one tracker for the torrent's counters in its own
// goroutine.
func (a *Announcer) launchScrape(ctx context.Context, tr *trackerEntry, results chan<- scrapeJob) {
	a.mu.Lock()
	tr.scraping = true
	a.mu.Unlock()
	sc, ok := tr.client.(Scraper)
	go func() {
		if !ok {
			results <- scrapeJob{tr: tr, err: ErrNoScrape}
			return
		}
		res, err := sc.Scrape(ctx, [][20]byte{a.cfg.InfoHash})
		j := scrapeJob{tr: tr, err: err}
		if err == nil && len(res) == 1 {
			j.res = res[0]
		} else if err == nil {
			j.err = fmt.Errorf("%w: %d scrape results for one torrent", ErrMalformed, len(res))
		}
		results <- j
	}()
}

// applyScrape records a scrape's outcome and when to scrape next; a
// tracker without scrape is not asked again.
func (a *Announcer) applyScrape(j scrapeJob) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	tr := j.tr
	tr.scraping = false
	tr.scrapeNext = now.Add(a.cfg.ScrapeInterval)
	tr.scrapeErr = j.err
	if errors.Is(j.err, ErrNoScrape) {
		tr.noScrape = true
	}
	if j.err == nil {
		tr.scrape, tr.lastScrape = j.res, now
	}
}

func (a *Announcer) request(ev Event) AnnounceRequest {
	req := AnnounceRequest{
		InfoHash: a.cfg.InfoHash, PeerID: a.cfg.PeerID, Port: a.cfg.Port,
		Event: ev, NumWant: a.cfg.NumWant, Key: a.key,
	}
	if ev == EventStopped {
		req.NumWant = 0
	}
	if a.cfg.Status != nil {
		req.Uploaded, req.Downloaded, req.Left = a.cfg.Status()
	}
	return req
}

// apply records an announce outcome. Outcomes of announces cancelled by
// Stop or ctx (cancelled) count only when they succeeded.
func (a *Announcer) apply(r jobResult, cancelled bool) {
	now := time.Now()
	t, tr := r.tier, r.tr
	a.mu.Lock()
	t.busy = false
	if r.err != nil {
		if cancelled {
			a.mu.Unlock()
			return
		}
		tr.lastErr = r.err
		t.cur++
		if t.cur >= len(t.trackers) {
			t.cur = 0
			t.fails++
			t.next = now.Add(a.backoff(t.fails))
		} else {
			t.next = now // on to the next tracker of the tier
		}
		a.mu.Unlock()
		a.reportError(tr.url, r.err)
		return
	}
	resp := r.resp
	tr.registered = true
	tr.lastErr = nil
	tr.lastAnnounce = now
	tr.minInterval = resp.MinInterval
	tr.peers, tr.seeders, tr.leechers = len(resp.Peers), resp.Seeders, resp.Leechers
	if r.event == EventCompleted {
		t.completedPending = false
	}
	// BEP 12: a tracker that answered moves to the front of its tier.
	i := t.cur
	if i < len(t.trackers) && t.trackers[i] == tr {
		copy(t.trackers[1:i+1], t.trackers[:i])
		t.trackers[0] = tr
	}
	t.cur, t.fails = 0, 0
	interval := resp.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	t.next = now.Add(min(max(interval, a.cfg.MinInterval), maxInterval))
	if t.completedPending {
		t.next = now
	}
	a.mu.Unlock()
	if len(resp.Peers) > 0 && a.cfg.OnPeers != nil && !cancelled {
		a.cfg.OnPeers(resp.Peers)
	}
}

// onWake handles Completed and Reannounce.
func (a *Announcer) onWake(now time.Time) {
	completed := a.completed.Load()
	again := a.reannounce.Swap(false)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.tiers {
		if completed && !t.completedQueued {
			t.completedQueued, t.completedPending = true, true
			if !t.busy && t.fails == 0 {
				t.next = now
			}
		}
		if again && !t.busy && t.fails == 0 {
			tr := t.trackers[t.cur]
			earliest := tr.lastAnnounce.Add(max(a.cfg.MinInterval, min(tr.minInterval, maxInterval)))
			earliest = maxTime(earliest, now)
			if earliest.Before(t.next) {
				t.next = earliest
			}
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// backoff is RetryMin·2^(fails-1) jittered ±25 %, within [RetryMin, RetryMax].
func (a *Announcer) backoff(fails int) time.Duration {
	d := a.cfg.RetryMin
	for i := 1; i < fails && d < a.cfg.RetryMax; i++ {
		d *= 2
	}
	d = d*3/4 + rand.N(d/2+1)
	return min(max(d, a.cfg.RetryMin), a.cfg.RetryMax)
}

func (a *Announcer) reportError(url string, err error) {
	if a.cfg.OnError != nil {
		a.cfg.OnError(url, err)
	}
}

// Stop sends event=stopped to every tracker that knows us, in parallel,
// bounded by ctx; Run returns afterwards. Later calls send nothing.
func (a *Announcer) Stop(ctx context.Context) error {
	a.mu.Lock()
	switch a.state {
	case stateIdle:
		a.state = stateFinished
		a.mu.Unlock()
		close(a.done)
		return nil
	case stateFinished:
		a.mu.Unlock()
		return a.sendStopped(ctx)
	}
	a.mu.Unlock()
	req := &stopRequest{ctx: ctx, done: make(chan error, 1)}
	select {
	case a.stopReq <- req:
	case <-a.done:
		return a.sendStopped(ctx)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendStopped announces event=stopped to the registered trackers. Each
// gets one try: a tracker that misses it forgets us by expiry anyway.
func (a *Announcer) sendStopped(ctx context.Context) error {
	a.stopMu.Lock()
	defer a.stopMu.Unlock()
	var targets []*trackerEntry
	a.mu.Lock()
	for _, t := range a.tiers {
		for _, tr := range t.trackers {
			if tr.registered {
				tr.registered = false
				targets = append(targets, tr)
			}
		}
	}
	a.mu.Unlock()
	if len(targets) == 0 {
		return nil
	}
	req := a.request(EventStopped)
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tr := range targets {
		wg.Go(func() {
			_, errs[i] = tr.client.Announce(ctx, req)
		})
	}
	wg.Wait()
	a.mu.Lock()
	for i, tr := range targets {
		tr.lastErr = errs[i]
	}
	a.mu.Unlock()
	return errors.Join(errs...)
}
