//go:build !js

package webrtc

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid/tracker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testInfoHash = [20]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}

// wsTracker runs Braid's tracker server and returns its ws:// URL.
func wsTracker(t *testing.T) string {
	t.Helper()
	srv := tracker.NewServer(tracker.ServerConfig{})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.CloseWebSockets(); hs.Close() })
	return tracker.WebSocketURL(hs.URL) + "/announce"
}

type gotConn struct {
	c      net.Conn
	remote [20]byte
}

// startAnnouncer runs an Announcer until the test ends and returns it with
// the channel its connections arrive on.
func startAnnouncer(t *testing.T, cfg AnnouncerConfig) (*Announcer, <-chan gotConn, context.CancelFunc) {
	t.Helper()
	conns := make(chan gotConn, 8)
	cfg.RTC.LoopbackOnly = true
	cfg.OnConn = func(c net.Conn, remote [20]byte) {
		t.Cleanup(func() { c.Close() })
		conns <- gotConn{c, remote}
	}
	a := NewAnnouncer(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return a, conns, stop
}

func waitAnnounced(t *testing.T, a *Announcer) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, last, _ := a.Status()
		return !last.IsZero()
	}, 10*time.Second, 10*time.Millisecond, "no tracker reply")
}

func receive(t *testing.T, ch <-chan gotConn) gotConn {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(15 * time.Second):
		t.Fatal("no connection")
		return gotConn{}
	}
}

func TestAnnouncersConnectThroughTracker(t *testing.T) {
	url := wsTracker(t)
	seeder, seederConns, _ := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerA,
		Stats: func() (int64, int64, int64) { return 0, 0, 0 },
	})
	waitAnnounced(t, seeder)
	leecher, leecherConns, stopLeecher := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerB, NumWant: 2,
		Stats: func() (int64, int64, int64) { return 0, 0, 1000 },
	})

	s := receive(t, seederConns)
	l := receive(t, leecherConns)
	assert.Equal(t, peerB, s.remote)
	assert.Equal(t, peerA, l.remote)
	assert.Equal(t, "webrtc", s.c.RemoteAddr().Network())

	// Bytes flow both ways.
	exchange := func(w, r net.Conn, msg string) {
		_, err := w.Write([]byte(msg))
		require.NoError(t, err)
		require.NoError(t, r.SetReadDeadline(time.Now().Add(5*time.Second)))
		buf := make([]byte, len(msg))
		_, err = io.ReadFull(r, buf)
		require.NoError(t, err)
		assert.Equal(t, msg, string(buf))
	}
	exchange(s.c, l.c, "from the seeder")
	exchange(l.c, s.c, "from the leecher")

	for _, a := range []*Announcer{seeder, leecher} {
		err, _, peers := a.Status()
		assert.NoError(t, err)
		assert.Equal(t, 1, peers)
	}

	// Only one connection per peer pair, even with several offers.
	select {
	case g := <-leecherConns:
		t.Fatalf("second connection to %x", g.remote)
	case g := <-seederConns:
		t.Fatalf("second connection to %x", g.remote)
	case <-time.After(500 * time.Millisecond):
	}

	// A closed conn no longer counts; stopping the leecher ends quickly
	// even though it told the tracker "stopped" on the way out.
	require.NoError(t, s.c.Close())
	require.Eventually(t, func() bool { _, _, n := seeder.Status(); return n == 0 }, 10*time.Second, 10*time.Millisecond)
	start := time.Now()
	stopLeecher()
	assert.Less(t, time.Since(start), 5*time.Second)
	leecher.mu.Lock()
	assert.Empty(t, leecher.pending, "offers left open after Run")
	leecher.mu.Unlock()
}

func TestAnnouncerWantFalseMakesNoOffers(t *testing.T) {
	url := wsTracker(t)
	seeder, seederConns, _ := startAnnouncer(t, AnnouncerConfig{URL: url, InfoHash: testInfoHash, PeerID: peerA})
	waitAnnounced(t, seeder)
	leecher, leecherConns, _ := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerB,
		Want: func() bool { return false },
	})
	waitAnnounced(t, leecher)
	select {
	case <-seederConns:
		t.Fatal("connected although the leecher wants no peers")
	case <-leecherConns:
		t.Fatal("connected although the leecher wants no peers")
	case <-time.After(time.Second):
	}
	leecher.mu.Lock()
	assert.Empty(t, leecher.pending)
	leecher.mu.Unlock()
}

// A peer already connected over another transport gets no second
// connection: as answerer its offers go unanswered, as offerer its answers
// are dropped (freeing the offers long before they would expire).
func TestAnnouncerSkipsPeersConnectedElsewhere(t *testing.T) {
	for _, side := range []string{"answerer", "offerer"} {
		t.Run(side, func(t *testing.T) {
			url := wsTracker(t)
			var asked atomic.Int32
			connected := func(want [20]byte) func([20]byte) bool {
				return func(id [20]byte) bool { asked.Add(1); return id == want }
			}
			seederCfg := AnnouncerConfig{URL: url, InfoHash: testInfoHash, PeerID: peerA}
			leecherCfg := AnnouncerConfig{URL: url, InfoHash: testInfoHash, PeerID: peerB, NumWant: 1,
				RTC: Config{OfferTimeout: time.Minute}, Stats: func() (int64, int64, int64) { return 0, 0, 1000 }}
			if side == "answerer" {
				seederCfg.Connected = connected(peerB)
			} else {
				leecherCfg.Connected = connected(peerA)
			}
			seeder, seederConns, _ := startAnnouncer(t, seederCfg)
			waitAnnounced(t, seeder)
			leecher, leecherConns, _ := startAnnouncer(t, leecherCfg)
			waitAnnounced(t, leecher)
			require.Eventually(t, func() bool { return asked.Load() > 0 }, 10*time.Second, 10*time.Millisecond,
				"the %s never saw the other peer", side)
			if side == "offerer" {
				require.Eventually(t, func() bool {
					leecher.mu.Lock()
					defer leecher.mu.Unlock()
					return len(leecher.pending) == 0 && leecher.offering == 0
				}, 10*time.Second, 10*time.Millisecond, "answered offers not dropped")
			}
			select {
			case g := <-seederConns:
				t.Fatalf("connected to %x although it is connected elsewhere", g.remote)
			case g := <-leecherConns:
				t.Fatalf("connected to %x although it is connected elsewhere", g.remote)
			case <-time.After(2 * time.Second):
			}
			// The side that declined holds nothing for the other peer.
			decliner := leecher
			if side == "answerer" {
				decliner = seeder
			}
			decliner.mu.Lock()
			assert.Zero(t, decliner.answering)
			assert.Empty(t, decliner.peers)
			decliner.mu.Unlock()
		})
	}
}

func TestAnnouncerPendingOffersBoundedAndExpire(t *testing.T) {
	url := wsTracker(t)
	a, _, _ := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerA, NumWant: 8,
		RTC: Config{MaxPending: 3, OfferTimeout: 3 * time.Second},
	})
	waitAnnounced(t, a)
	a.mu.Lock()
	n := len(a.pending)
	a.mu.Unlock()
	assert.Equal(t, 3, n, "pending offers not capped at MaxPending")
	require.Eventually(t, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.pending) == 0 && a.offering == 0
	}, 10*time.Second, 20*time.Millisecond, "offers did not expire")
}

func TestAnnouncerReportsDialErrorsAndRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "ws://" + ln.Addr().String() + "/announce"
	require.NoError(t, ln.Close()) // nothing listens there now
	var mu sync.Mutex
	calls := 0
	a, _, _ := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerA,
		Stats: func() (int64, int64, int64) { mu.Lock(); calls++; mu.Unlock(); return 0, 0, 0 },
	})
	require.Eventually(t, func() bool { err, _, _ := a.Status(); return err != nil }, 5*time.Second, 10*time.Millisecond)
	err, last, _ := a.Status()
	assert.ErrorContains(t, err, "dial tracker")
	assert.True(t, last.IsZero())
	mu.Lock()
	assert.Zero(t, calls, "announced without a socket")
	mu.Unlock()

	// Once a tracker appears there, the back-off retry reaches it.
	ln, err = net.Listen("tcp", ln.Addr().String())
	require.NoError(t, err)
	srv := tracker.NewServer(tracker.ServerConfig{})
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { srv.CloseWebSockets(); _ = hs.Close() })
	require.Eventually(t, func() bool {
		err, last, _ := a.Status()
		return err == nil && !last.IsZero()
	}, 10*time.Second, 20*time.Millisecond, "did not reconnect")
}

func TestAnnouncerCompletedAnnouncesSoon(t *testing.T) {
	url := wsTracker(t)
	var mu sync.Mutex
	left := int64(1000)
	a, _, _ := startAnnouncer(t, AnnouncerConfig{
		URL: url, InfoHash: testInfoHash, PeerID: peerA,
		Stats: func() (int64, int64, int64) { mu.Lock(); defer mu.Unlock(); return 0, 1000 - left, left },
	})
	waitAnnounced(t, a)
	assert.Equal(t, 0, scrapeComplete(t, url, testInfoHash))
	mu.Lock()
	left = 0
	mu.Unlock()
	a.Completed()
	// The regular interval is minutes away: only the completed announce can
	// make the tracker count a seeder now.
	require.Eventually(t, func() bool { return scrapeComplete(t, url, testInfoHash) == 1 },
		5*time.Second, 20*time.Millisecond)
}

func TestAnnouncersShareAPendingLimit(t *testing.T) {
	url := wsTracker(t)
	limit := NewPendingLimit(4)
	rtc := Config{Limit: limit, OfferTimeout: 3 * time.Second}
	other := testInfoHash
	other[0] ^= 0xff
	a1, _, stop1 := startAnnouncer(t, AnnouncerConfig{URL: url, InfoHash: testInfoHash, PeerID: peerA, NumWant: 3, RTC: rtc})
	waitAnnounced(t, a1)
	a2, _, stop2 := startAnnouncer(t, AnnouncerConfig{URL: url, InfoHash: other, PeerID: peerB, NumWant: 3, RTC: rtc})
	waitAnnounced(t, a2)
	pending := func(a *Announcer) int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.pending) }
	assert.Equal(t, 3, pending(a1))
	assert.Equal(t, 1, pending(a2), "the second announcer got more than the shared limit left")
	assert.Equal(t, 4, limit.InUse())
	stop1()
	stop2()
	assert.Equal(t, 0, limit.InUse(), "slots not given back when Run ended")
}

func TestAnnouncerUsesTrackerInterval(t *testing.T) {
	srv := tracker.NewServer(tracker.ServerConfig{Interval: 20 * time.Second})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.CloseWebSockets(); hs.Close() })
	var mu sync.Mutex
	announces := 0
	a, _, _ := startAnnouncer(t, AnnouncerConfig{
		URL: tracker.WebSocketURL(hs.URL), InfoHash: testInfoHash, PeerID: peerA,
		Stats: func() (int64, int64, int64) { mu.Lock(); announces++; mu.Unlock(); return 0, 0, 0 },
	})
	waitAnnounced(t, a)
	assert.Equal(t, 20*time.Second, a.currentInterval())
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	assert.Equal(t, 1, announces, "a new interval must re-arm the timer, not announce again")
	mu.Unlock()
}
