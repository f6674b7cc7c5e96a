package tracker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recTracker is an HTTP tracker (our Server behind a recorder) that logs
// each announce's event and can be told to hang.
type recTracker struct {
	url  string
	srv  *Server
	hang atomic.Bool

	mu     sync.Mutex
	events []Event
}

func startRecTracker(t *testing.T, cfg ServerConfig) *recTracker {
	t.Helper()
	rt := &recTracker{srv: NewServer(cfg)}
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		if a, err := parseHTTPAnnounceQuery(r.URL.RawQuery); err == nil {
			rt.mu.Lock()
			rt.events = append(rt.events, a.Req.Event)
			rt.mu.Unlock()
		}
		rt.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(release); hs.Close() })
	rt.url = hs.URL + "/announce"
	return rt
}

func (rt *recTracker) log() []Event {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]Event(nil), rt.events...)
}

func (rt *recTracker) count(e Event) int {
	n := 0
	for _, x := range rt.log() {
		if x == e {
			n++
		}
	}
	return n
}

// seedPeer registers a peer directly so the tracker has one to give out.
func (rt *recTracker) seedPeer(t *testing.T, ih [20]byte, p netip.AddrPort) {
	_, err := rt.srv.announce(&AnnounceRequest{InfoHash: ih, PeerID: peerID(byte(p.Port())), Port: p.Port(), Left: 0}, p, familyAny)
	require.NoError(t, err)
}

// deadURL is an HTTP tracker URL on a closed port: connections are refused.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/announce"
}

// peerSink collects OnPeers calls.
type peerSink struct {
	mu    sync.Mutex
	peers map[netip.AddrPort]int
}

func (s *peerSink) add(ps []netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peers == nil {
		s.peers = map[netip.AddrPort]int{}
	}
	for _, p := range ps {
		s.peers[p]++
	}
}

func (s *peerSink) has(p netip.AddrPort) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peers[p] > 0
}

func testAnnouncerConfig(ih [20]byte, sink *peerSink) AnnouncerConfig {
	return AnnouncerConfig{
		InfoHash: ih, PeerID: peerID(200), Port: 6000,
		Status:        func() (int64, int64, int64) { return 1, 2, 3 },
		OnPeers:       sink.add,
		MinInterval:   20 * time.Millisecond,
		RetryMin:      20 * time.Millisecond,
		RetryMax:      100 * time.Millisecond,
		ClientOptions: ClientOptions{Timeout: 2 * time.Second},
	}
}

// runAnnouncer starts Run and returns a func that waits for it to end.
func runAnnouncer(t *testing.T, a *Announcer) (cancel func(), wait func()) {
	ctx, cancelCtx := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancelCtx(); <-done })
	return cancelCtx, func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
		}
	}
}

const eventually = 10 * time.Second

// waitAnswered waits until the announcer has processed a reply from its
// first tracker dated after since.
func waitAnswered(t *testing.T, a *Announcer, since time.Time) {
	t.Helper()
	require.Eventually(t, func() bool { return a.Status()[0].LastAnnounce.After(since) }, eventually, time.Millisecond)
}

func TestAnnouncerTiersAndFailover(t *testing.T) {
	ih := hash(100)
	up1 := startRecTracker(t, ServerConfig{})
	up2 := startRecTracker(t, ServerConfig{})
	up1.seedPeer(t, ih, loop(7101))
	up2.seedPeer(t, ih, loop(7102))
	dead := deadURL(t)
	sink := &peerSink{}
	var errMu sync.Mutex
	var errURLs []string
	cfg := testAnnouncerConfig(ih, sink)
	cfg.OnError = func(url string, err error) {
		errMu.Lock()
		errURLs = append(errURLs, url)
		errMu.Unlock()
	}
	a := NewAnnouncer([][]string{{dead, up1.url, " ", dead}, {up2.url}, {}, {"wss://ws.example/announce"}}, cfg)
	require.Len(t, a.tiers, 2, "empty tiers and unusable URLs do not make tiers")
	require.Len(t, a.tiers[0].trackers, 2, "duplicates dropped")
	// Make the dead tracker the first of its tier.
	if a.tiers[0].trackers[0].url != dead {
		a.tiers[0].trackers[0], a.tiers[0].trackers[1] = a.tiers[0].trackers[1], a.tiers[0].trackers[0]
	}
	_, wait := runAnnouncer(t, a)

	require.Eventually(t, func() bool { return sink.has(loop(7101)) && sink.has(loop(7102)) }, eventually, time.Millisecond)
	assert.Equal(t, []Event{EventStarted}, up1.log())
	assert.Equal(t, []Event{EventStarted}, up2.log(), "every tier gets its own announce")

	st := a.Status()
	require.Len(t, st, 4)
	assert.Equal(t, up1.url, st[0].URL, "the tracker that answered moved to the front")
	assert.NoError(t, st[0].LastError)
	assert.Equal(t, 1, st[0].Peers)
	assert.False(t, st[0].LastAnnounce.IsZero())
	assert.True(t, st[0].NextAnnounce.After(st[0].LastAnnounce))
	assert.Equal(t, dead, st[1].URL)
	assert.Error(t, st[1].LastError)
	assert.Equal(t, 1, st[2].Tier)
	assert.Equal(t, "wss://ws.example/announce", st[3].URL)
	assert.ErrorIs(t, st[3].LastError, ErrUnsupportedScheme)
	errMu.Lock()
	assert.ElementsMatch(t, []string{dead, "wss://ws.example/announce"}, errURLs)
	errMu.Unlock()

	require.NoError(t, a.Stop(testCtx(t)))
	wait()
	assert.Equal(t, []Event{EventStarted, EventStopped}, up1.log())
	assert.Equal(t, []Event{EventStarted, EventStopped}, up2.log())
}

func TestAnnouncerEventsOnce(t *testing.T) {
	ih := hash(101)
	rt := startRecTracker(t, ServerConfig{Interval: time.Hour})
	a := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(ih, &peerSink{}))
	_, wait := runAnnouncer(t, a)
	waitAnswered(t, a, time.Time{})
	first := a.Status()[0].LastAnnounce

	a.Completed()
	a.Completed()
	require.Eventually(t, func() bool { return rt.count(EventCompleted) == 1 }, eventually, time.Millisecond)
	waitAnswered(t, a, first)
	a.Completed()
	a.Reannounce() // lets a wrongly repeated completed show up
	require.Eventually(t, func() bool { return len(rt.log()) == 3 }, eventually, time.Millisecond)

	require.NoError(t, a.Stop(testCtx(t)))
	wait()
	require.NoError(t, a.Stop(testCtx(t)), "a second Stop sends nothing")
	assert.Equal(t, []Event{EventStarted, EventCompleted, EventNone, EventStopped}, rt.log())
	a.Run(context.Background()) // returns at once after Stop
}

func TestAnnouncerReannounces(t *testing.T) {
	ih := hash(102)
	t.Run("at the tracker's interval", func(t *testing.T) {
		// The server says 1 s; MinInterval (20 ms) does not raise it.
		rt := startRecTracker(t, ServerConfig{Interval: time.Second})
		a := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(ih, &peerSink{}))
		runAnnouncer(t, a)
		require.Eventually(t, func() bool { return rt.count(EventNone) >= 2 }, eventually, 10*time.Millisecond)
		assert.Equal(t, 1, rt.count(EventStarted))
	})
	t.Run("interval raised to MinInterval", func(t *testing.T) {
		var hits atomic.Int32
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/announce" {
				hits.Add(1)
			}
			_, _ = w.Write([]byte("d8:intervali0e5:peers0:e")) // no usable interval
		})
		cfg := testAnnouncerConfig(ih, &peerSink{})
		cfg.MinInterval = time.Hour
		a := NewAnnouncer([][]string{{u}}, cfg)
		runAnnouncer(t, a)
		waitAnswered(t, a, time.Time{})
		assert.EqualValues(t, 1, hits.Load())
		st := a.Status()
		assert.WithinDuration(t, st[0].LastAnnounce.Add(time.Hour), st[0].NextAnnounce, time.Second)
	})
	t.Run("Reannounce asks now", func(t *testing.T) {
		rt := startRecTracker(t, ServerConfig{Interval: time.Hour})
		sink := &peerSink{}
		a := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(ih, sink))
		runAnnouncer(t, a)
		waitAnswered(t, a, time.Time{})
		rt.seedPeer(t, ih, loop(7200))
		a.Reannounce()
		require.Eventually(t, func() bool { return sink.has(loop(7200)) }, eventually, time.Millisecond)
		assert.Equal(t, []Event{EventStarted, EventNone}, rt.log())
	})
	t.Run("Reannounce keeps the tracker's min interval", func(t *testing.T) {
		rt := startRecTracker(t, ServerConfig{Interval: 2 * time.Hour, MinInterval: time.Hour})
		a := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(ih, &peerSink{}))
		runAnnouncer(t, a)
		waitAnswered(t, a, time.Time{})
		a.Reannounce()
		require.Eventually(t, func() bool {
			st := a.Status()[0]
			return st.NextAnnounce.Sub(st.LastAnnounce) < 90*time.Minute
		}, eventually, time.Millisecond)
		st := a.Status()[0]
		assert.WithinDuration(t, st.LastAnnounce.Add(time.Hour), st.NextAnnounce, time.Second)
		assert.Equal(t, []Event{EventStarted}, rt.log())
	})
}

func TestAnnouncerBacksOff(t *testing.T) {
	d1, d2 := deadURL(t), deadURL(t)
	var mu sync.Mutex
	fails := map[string]int{}
	cfg := testAnnouncerConfig(hash(103), &peerSink{})
	cfg.OnError = func(url string, err error) {
		mu.Lock()
		fails[url]++
		mu.Unlock()
	}
	a := NewAnnouncer([][]string{{d1, d2}}, cfg)
	runAnnouncer(t, a)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fails[d1] >= 3 && fails[d2] >= 3
	}, eventually, time.Millisecond, "rounds over both trackers repeat")
	for _, st := range a.Status() {
		assert.Error(t, st.LastError)
		assert.True(t, st.LastAnnounce.IsZero())
	}
	// Back-off grows and stays within [RetryMin, RetryMax]; defaults 15 s .. 30 min.
	def := NewAnnouncer(nil, AnnouncerConfig{})
	for _, x := range []*Announcer{a, def} {
		for f := 1; f < 40; f++ {
			d := x.backoff(f)
			assert.GreaterOrEqual(t, d, x.cfg.RetryMin)
			assert.LessOrEqual(t, d, x.cfg.RetryMax)
		}
		assert.Less(t, x.backoff(1), x.backoff(30))
	}
	assert.Equal(t, 15*time.Second, def.cfg.RetryMin)
	assert.Equal(t, 30*time.Minute, def.cfg.RetryMax)
	require.NoError(t, a.Stop(testCtx(t)), "nobody to tell")
}

func TestAnnouncerStopBounded(t *testing.T) {
	t.Run("trackers that never answer", func(t *testing.T) {
		hung := startRecTracker(t, ServerConfig{})
		hung.hang.Store(true)
		udp := startFakeUDP(t, "udp", "127.0.0.1:0", func(int, []byte) [][]byte { return nil })
		cfg := testAnnouncerConfig(hash(104), &peerSink{})
		cfg.ClientOptions.Timeout = time.Minute
		a := NewAnnouncer([][]string{{hung.url}, {udp.url()}}, cfg)
		_, wait := runAnnouncer(t, a)
		require.Eventually(t, func() bool { return len(udp.packets()) > 0 }, eventually, time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		require.NoError(t, a.Stop(ctx), "no tracker got started: nothing to send")
		wait()
	})
	t.Run("a registered tracker goes silent", func(t *testing.T) {
		rt := startRecTracker(t, ServerConfig{})
		cfg := testAnnouncerConfig(hash(105), &peerSink{})
		cfg.ClientOptions.Timeout = time.Minute
		a := NewAnnouncer([][]string{{rt.url}}, cfg)
		_, wait := runAnnouncer(t, a)
		waitAnswered(t, a, time.Time{})
		rt.hang.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := a.Stop(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		wait()
	})
}

func TestAnnouncerStopWithoutRun(t *testing.T) {
	rt := startRecTracker(t, ServerConfig{})
	a := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(hash(106), &peerSink{}))
	require.NoError(t, a.Stop(testCtx(t)))
	a.Run(context.Background()) // returns at once
	assert.Empty(t, rt.log())

	// Run ended by its ctx: a later Stop still tells the tracker.
	b := NewAnnouncer([][]string{{rt.url}}, testAnnouncerConfig(hash(106), &peerSink{}))
	cancel, wait := runAnnouncer(t, b)
	waitAnswered(t, b, time.Time{})
	cancel()
	wait()
	require.NoError(t, b.Stop(testCtx(t)))
	assert.Equal(t, []Event{EventStarted, EventStopped}, rt.log())
}

func TestAnnouncerOverUDP(t *testing.T) {
	ih := hash(107)
	tt := startTracker(t, ServerConfig{})
	c := newTestClient(t, tt.udpURL)
	_, err := c.Announce(testCtx(t), AnnounceRequest{InfoHash: ih, PeerID: peerID(9), Port: 7300, Left: 0})
	require.NoError(t, err)
	sink := &peerSink{}
	a := NewAnnouncer([][]string{{tt.udpURL}}, testAnnouncerConfig(ih, sink))
	runAnnouncer(t, a)
	require.Eventually(t, func() bool { return sink.has(loop(7300)) }, eventually, time.Millisecond)
	require.NoError(t, a.Stop(testCtx(t)))
	res, err := c.(Scraper).Scrape(testCtx(t), [][20]byte{ih})
	require.NoError(t, err)
	assert.Equal(t, []ScrapeResult{{Seeders: 1}}, res, "our stopped removed us")
}
