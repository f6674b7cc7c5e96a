package tracker

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for the server.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testTracker is a Server listening on loopback over HTTP and UDP.
type testTracker struct {
	srv     *Server
	httpURL string
	udpURL  string
}

func startTracker(t *testing.T, cfg ServerConfig) *testTracker {
	t.Helper()
	s := NewServer(cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.ServeUDP(pc) }()
	t.Cleanup(func() {
		pc.Close()
		require.NoError(t, <-done)
	})
	return &testTracker{srv: s, httpURL: hs.URL + "/announce", udpURL: "udp://" + pc.LocalAddr().String()}
}

func hash(b byte) [20]byte {
	var h [20]byte
	for i := range h {
		h[i] = b ^ byte(i*7)
	}
	return h
}

func peerID(b byte) [20]byte {
	var id [20]byte
	copy(id[:], "-BD0001-")
	for i := 8; i < 20; i++ {
		id[i] = b + byte(i)
	}
	return id
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, url string) Client {
	t.Helper()
	c, err := NewClient(url, ClientOptions{Timeout: 2 * time.Second})
	require.NoError(t, err)
	return c
}

func loop(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }
