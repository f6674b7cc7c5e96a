package tracker

import (
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const opentrackerBin = "/usr/bin/opentracker"

// freeTCPUDPPort finds a loopback port free for both TCP and UDP.
func freeTCPUDPPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return 0
}

// startOpentracker runs the Debian opentracker on loopback with a
// whitelist holding the given hashes; it returns the HTTP and UDP URLs.
func startOpentracker(t *testing.T, hashes ...[20]byte) (httpURL, udpURL string) {
	t.Helper()
	_, err := os.Stat(opentrackerBin)
	require.NoError(t, err, "opentracker is required (apt-get install opentracker; the Makefile does it)")
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755)) // it drops to "nobody" after chroot
	var wl []byte
	for _, h := range hashes {
		wl = append(wl, hex.EncodeToString(h[:])+"\n"...)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "whitelist"), wl, 0o644))
	port := strconv.Itoa(freeTCPUDPPort(t))
	cmd := exec.Command(opentrackerBin, "-i", "127.0.0.1", "-p", port, "-P", port, "-d", dir, "-w", "whitelist")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	httpURL = "http://127.0.0.1:" + port + "/announce"
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://127.0.0.1:" + port + "/stats")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond, "opentracker did not start")
	// It reads the whitelist in a thread of its own after it starts
	// serving: wait until an announce that adds no peer (stopped) passes.
	probe, err := NewClient(httpURL, ClientOptions{Timeout: 2 * time.Second})
	require.NoError(t, err)
	for _, h := range hashes {
		require.Eventually(t, func() bool {
			_, err := probe.Announce(testCtx(t), AnnounceRequest{InfoHash: h, PeerID: peerID(250), Port: 1, Event: EventStopped})
			return err == nil
		}, 10*time.Second, 20*time.Millisecond, "opentracker did not load its whitelist")
	}
	return httpURL, "udp://127.0.0.1:" + port + "/announce"
}

// TestOpentrackerInterop announces to a real opentracker over HTTP and
// UDP. It fails, rather than skips, when opentracker is missing.
func TestOpentrackerInterop(t *testing.T) {
	ih := hash(150)
	httpURL, udpURL := startOpentracker(t, ih)
	ctx := testCtx(t)
	hc, uc := newTestClient(t, httpURL), newTestClient(t, udpURL)

	resp, err := hc.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7001, Left: 100, Event: EventStarted, NumWant: 50})
	require.NoError(t, err)
	assert.Greater(t, resp.Interval, time.Duration(0))
	assert.Equal(t, 1, resp.Leechers)

	resp, err = uc.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7002, Left: 0, Event: EventStarted, NumWant: 50})
	require.NoError(t, err)
	assert.Contains(t, resp.Peers, loop(7001), "UDP peer learns the HTTP peer")
	assert.Equal(t, 1, resp.Seeders)
	assert.Equal(t, 1, resp.Leechers)

	resp, err = hc.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7001, Left: 0, Event: EventCompleted, NumWant: 50})
	require.NoError(t, err)
	assert.Contains(t, resp.Peers, loop(7002), "HTTP peer learns the UDP peer")

	for _, c := range []Client{hc, uc} {
		res, err := c.(Scraper).Scrape(ctx, [][20]byte{ih})
		require.NoError(t, err)
		assert.Equal(t, []ScrapeResult{{Seeders: 2, Completed: 1}}, res)
	}

	_, err = uc.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7002, Event: EventStopped})
	require.NoError(t, err)
	res, err := hc.(Scraper).Scrape(ctx, [][20]byte{ih})
	require.NoError(t, err)
	assert.Equal(t, 1, res[0].Seeders, "stopped over UDP removed the peer")

	// A hash outside the whitelist is refused with a failure reason.
	_, err = hc.Announce(ctx, AnnounceRequest{InfoHash: hash(151), PeerID: peerID(3), Port: 7003, Left: 1})
	require.ErrorIs(t, err, ErrFailure)
	_, err = uc.Announce(ctx, AnnounceRequest{InfoHash: hash(151), PeerID: peerID(3), Port: 7003, Left: 1})
	require.Error(t, err)
}

// TestOpentrackerAnnouncer runs the Announcer with an HTTP and a UDP tier
// against opentracker through a whole lifecycle.
func TestOpentrackerAnnouncer(t *testing.T) {
	ih := hash(152)
	httpURL, udpURL := startOpentracker(t, ih)
	ctx := testCtx(t)
	other := newTestClient(t, httpURL)
	_, err := other.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7401, Left: 0, Event: EventStarted})
	require.NoError(t, err)

	sink := &peerSink{}
	cfg := testAnnouncerConfig(ih, sink)
	var left atomic.Int64
	left.Store(10)
	cfg.Status = func() (int64, int64, int64) { return 0, 10 - left.Load(), left.Load() }
	a := NewAnnouncer([][]string{{httpURL}, {udpURL}}, cfg)
	_, wait := runAnnouncer(t, a)
	require.Eventually(t, func() bool { return sink.has(loop(7401)) }, eventually, time.Millisecond)
	require.Eventually(t, func() bool {
		st := a.Status()
		return !st[0].LastAnnounce.IsZero() && !st[1].LastAnnounce.IsZero()
	}, eventually, time.Millisecond)
	for _, st := range a.Status() {
		require.NoError(t, st.LastError, st.URL)
	}
	res, err := other.(Scraper).Scrape(ctx, [][20]byte{ih})
	require.NoError(t, err)
	assert.Equal(t, ScrapeResult{Seeders: 1, Leechers: 1}, res[0])

	left.Store(0)
	a.Completed()
	require.Eventually(t, func() bool {
		res, err := other.(Scraper).Scrape(ctx, [][20]byte{ih})
		return err == nil && res[0] == ScrapeResult{Seeders: 2, Completed: 1}
	}, eventually, 10*time.Millisecond)

	require.NoError(t, a.Stop(ctx))
	wait()
	res, err = other.(Scraper).Scrape(ctx, [][20]byte{ih})
	require.NoError(t, err)
	// Both tiers are this one opentracker: each got "completed", and its
	// download count depends on the order the two tiers' announces and
	// stops landed in (1, or 2 when a stop came between). Our peer is gone.
	assert.Equal(t, 1, res[0].Seeders, "stopped reached opentracker")
	assert.Zero(t, res[0].Leechers)
	assert.Contains(t, []int{1, 2}, res[0].Completed)
}
