//go:build !js

package braid_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/tracker"
)

// startScrapeTracker runs Braid's tracker on loopback over HTTP and UDP.
func startScrapeTracker(t *testing.T) (httpURL, udpURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type urls struct{ h, u string }
	ready := make(chan urls, 1)
	done := make(chan error, 1)
	go func() {
		done <- tracker.ListenAndServe(ctx, "127.0.0.1:0", "127.0.0.1:0", tracker.ServerConfig{Interval: time.Hour},
			func(h, u string) { ready <- urls{h, u} })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-ready:
		return u.h, u.u
	case err := <-done:
		t.Fatalf("tracker: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("tracker did not start")
	}
	return "", ""
}

// The trackers stats field carries each tracker's scrape counters once
// the torrent's start-up scrape has been answered.
func TestStatsTrackerScrape(t *testing.T) {
	httpURL, udpURL := startScrapeTracker(t)
	fx := makeFixture(t, 32<<10, 100_000)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Two seeders elsewhere (one finished a download there), announced
	// before our torrent starts.
	for i, u := range []string{httpURL, udpURL} {
		c, err := tracker.NewClient(u, tracker.ClientOptions{Timeout: 2 * time.Second})
		require.NoError(t, err)
		ev := tracker.EventStarted
		if i == 0 {
			ev = tracker.EventCompleted
		}
		_, err = c.Announce(ctx, tracker.AnnounceRequest{InfoHash: fx.ih, PeerID: [20]byte{byte(i + 1)}, Port: uint16(9 + i), Event: ev})
		require.NoError(t, err)
	}

	leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC = true })
	_, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithTrackers(httpURL, udpURL))
	require.NoError(t, err)
	var trs []braid.TrackerInfo
	require.Eventually(t, func() bool {
		st, err := leecher.Stats(fx.ih, "trackers")
		require.NoError(t, err)
		trs = st["trackers"].([]braid.TrackerInfo)
		for _, tr := range trs {
			if tr.LastScrape.IsZero() {
				return false
			}
		}
		return len(trs) == 2
	}, 10*time.Second, 10*time.Millisecond)
	for _, tr := range trs {
		assert.Equal(t, 2, tr.ScrapeSeeders, tr.URL)
		assert.Equal(t, 1, tr.ScrapeDownloaded, tr.URL)
		assert.Contains(t, []int{0, 1}, tr.ScrapeLeechers, "%s: at most ourselves", tr.URL)
		assert.Empty(t, tr.ScrapeError, tr.URL)
		assert.WithinDuration(t, time.Now(), tr.LastScrape, 15*time.Second)
	}
	raw, err := json.Marshal(trs[0])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	for _, k := range []string{"scrape_seeders", "scrape_leechers", "scrape_downloaded", "last_scrape", "url", "seeders", "leechers", "last_announce"} {
		assert.Contains(t, m, k)
	}
	assert.EqualValues(t, 2, m["scrape_seeders"])
}
