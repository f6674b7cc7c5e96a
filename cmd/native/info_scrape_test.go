//go:build !js

package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/socks5/socks5test"
	"github.com/braid-bt/braid/tracker"
)

// startInfoTracker runs Braid's tracker on loopback (HTTP and UDP).
func startInfoTracker(t *testing.T) (httpURL, udpURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- tracker.ListenAndServe(ctx, "127.0.0.1:0", "127.0.0.1:0", tracker.ServerConfig{Interval: time.Hour},
			func(h, u string) { ready <- [2]string{h, u} })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-ready:
		return u[0], u[1]
	case err := <-done:
		t.Fatalf("tracker: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("tracker did not start")
	}
	return "", ""
}

// silentUDP is a UDP socket that reads and never answers.
func silentUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return "udp://" + pc.LocalAddr().String()
}

// braid info --scrape asks each tracker once and prints one line per
// tracker: the counters, or why it gave none.
func TestInfoScrape(t *testing.T) {
	httpURL, udpURL := startInfoTracker(t)
	silent := silentUDP(t)
	noScrape := strings.TrimSuffix(httpURL, "/announce") + "/tracker"
	dir := t.TempDir()
	src := filepath.Join(dir, "data.bin")
	require.NoError(t, os.WriteFile(src, make([]byte, 50_000), 0o644))
	tf := filepath.Join(dir, "t.torrent")
	code, _, stderr := runCLI(t, "", "create", "-o", tf, "--announce", httpURL, "--announce", udpURL,
		"--announce", silent, "--announce", noScrape, src)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(tf)
	require.NoError(t, err)
	mi, err := metainfo.Parse(data)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := tracker.NewClient(udpURL, tracker.ClientOptions{Timeout: 2 * time.Second})
	require.NoError(t, err)
	for i, left := range []int64{0, 0, 0, 100} {
		ev := tracker.EventStarted
		if i == 0 {
			ev = tracker.EventCompleted
		}
		_, err := c.Announce(ctx, tracker.AnnounceRequest{InfoHash: mi.InfoHash, PeerID: [20]byte{byte(i + 1)}, Port: uint16(7000 + i), Left: left, Event: ev})
		require.NoError(t, err)
	}

	start := time.Now()
	code, stdout, stderr := runCLI(t, "", "info", "--scrape", "--scrape-timeout", "700ms", tf)
	require.Equal(t, exitOK, code, stderr)
	assert.Less(t, time.Since(start), 5*time.Second, "trackers are asked at the same time, each within the timeout")
	var lines []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "scrape:") {
			lines = append(lines, l)
		}
	}
	assert.Equal(t, []string{
		"scrape:       " + httpURL + ": 3 seeders, 1 leechers, 1 completed",
		"scrape:       " + udpURL + ": 3 seeders, 1 leechers, 1 completed",
		"scrape:       " + silent + ": failed: no reply within 700ms",
		"scrape:       " + noScrape + `: failed: tracker: scrape not supported (no "announce" path element)`,
	}, lines)

	// A magnet's trackers are asked the same way.
	magnet := fmt.Sprintf("magnet:?xt=urn:btih:%x&tr=%s", mi.InfoHash, url.QueryEscape(httpURL))
	code, stdout, stderr = runCLI(t, "", "info", "--scrape", magnet)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "scrape:       "+httpURL+": 3 seeders, 1 leechers, 1 completed\n")

	// When no tracker answers, braid info fails with one line.
	magnet = fmt.Sprintf("magnet:?xt=urn:btih:%x&tr=%s", mi.InfoHash, url.QueryEscape(silent))
	code, stdout, stderr = runCLI(t, "", "info", "--scrape", "--scrape-timeout", "300ms", magnet)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, "scrape:       "+silent+": failed: no reply within 300ms\n")
	assert.Equal(t, "braid: scrape: none of 1 trackers answered\n", stderr)

	code, _, stderr = runCLI(t, "", "info", "--scrape", fmt.Sprintf("magnet:?xt=urn:btih:%x", mi.InfoHash))
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, "braid: scrape: the torrent names no tracker\n", stderr)

	code, _, _ = runCLI(t, "", "info", "--scrape-timeout", "0s", tf)
	assert.Equal(t, exitUsage, code)
}

// braid info --scrape --proxy asks the trackers through a SOCKS5 proxy
// (Debian's microsocks here, HTTP only: it has no UDP ASSOCIATE) and
// never directly: a proxy that is down fails each tracker.
func TestInfoScrapeProxy(t *testing.T) {
	httpURL, _ := startInfoTracker(t)
	magnet := fmt.Sprintf("magnet:?xt=urn:btih:%x&tr=%s", [20]byte{7}, url.QueryEscape(httpURL))
	ms := socks5test.Microsocks(t, "127.0.0.1", "", "u", "p")
	code, stdout, stderr := runCLI(t, "", "info", "--scrape", "--proxy", "socks5://u:p@"+ms.Addr, magnet)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "scrape:       "+httpURL+": 0 seeders, 0 leechers, 0 completed\n")

	ms.Stop()
	code, stdout, _ = runCLI(t, "", "info", "--scrape", "--proxy", "socks5://u:p@"+ms.Addr, magnet)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, "socks5: connect to proxy "+ms.Addr)

	code, _, stderr = runCLI(t, "", "info", "--proxy", "socks5://u:p@"+ms.Addr, magnet)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--proxy needs --scrape")
}
