//go:build !js

package braid_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// countingTracker answers every announce with no peers and counts them.
func countingTracker(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = w.Write([]byte("d8:intervali60e5:peers0:e"))
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/announce", &n
}

// SetTrackers swaps a running torrent's trackers: the new one is
// announced to at once, the old one no more; the resume record keeps the
// list; a bad URL is refused and changes nothing.
func TestSetTrackers(t *testing.T) {
	fx := makeFixture(t, 32<<10, 100_000)
	oldURL, oldCount := countingTracker(t)
	newURL, newCount := countingTracker(t)
	state := t.TempDir()
	c := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC, c.StateDir = true, state })
	tor, err := c.DownloadBytes(context.Background(), fx.torrent, braid.WithTrackers(oldURL))
	require.NoError(t, err)
	waitDone(t, tor, 30*time.Second)
	require.Eventually(t, func() bool { return oldCount.Load() > 0 }, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, tor.SetTrackers([][]string{{newURL}}))
	assert.Equal(t, [][]string{{newURL}}, tor.Trackers())
	require.Eventually(t, func() bool { return newCount.Load() > 0 }, 10*time.Second, 20*time.Millisecond)
	before := oldCount.Load()
	require.True(t, tor.Reannounce())
	require.Eventually(t, func() bool { return newCount.Load() > 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, before, oldCount.Load(), "the old tracker is not asked any more")

	for _, bad := range [][][]string{{{"ftp://x/announce"}}, {{"http://"}}, {{"http://a b/"}}, {{newURL, "nonsense"}}} {
		require.ErrorIs(t, tor.SetTrackers(bad), braid.ErrBadTracker, "%v", bad)
		assert.Equal(t, [][]string{{newURL}}, tor.Trackers())
	}

	require.NoError(t, c.StopAndSerialize(fx.ih))
	again, err := c.Resume(context.Background(), fx.ih)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{newURL}}, again.Trackers(), "the record keeps the new list")

	require.NoError(t, again.SetTrackers(nil))
	assert.Empty(t, again.Trackers())
}
