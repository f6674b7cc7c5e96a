//go:build !js

package braid_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// A download rate limit holds the download to the rate, with two seeders
// sharing it, and costs no re-fetched data: requests are kept few enough
// that none waits behind the limit until it times out (beyond endgame's
// few duplicates).
func TestDownloadRate(t *testing.T) {
	const limit = 1 << 20
	fx := makeFixture(t, 64<<10, 2_500_000, 700_001)
	size := int64(3_200_001)
	var seeders []string
	for range 2 {
		s := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
		st, err := s.DownloadBytes(context.Background(), fx.torrent)
		require.NoError(t, err)
		waitDone(t, st, 30*time.Second)
		seeders = append(seeders, s.ListenAddr())
	}
	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC, c.DownloadRate = true, limit })
	start := time.Now()
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeders...))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	elapsed := time.Since(start)
	requireSameFiles(t, fx, dir)
	// At 1 MiB/s the 3.05 MiB take at least ~3 s less the limiter's burst;
	// unlimited, this is a few milliseconds on loopback.
	minimum := time.Duration(float64(size-4*16<<10) / limit * float64(time.Second))
	assert.GreaterOrEqual(t, elapsed, minimum*9/10, "the limit held")
	st, err := leecher.Stats(fx.ih, "fetched", "wasted")
	require.NoError(t, err)
	// Endgame asks both seeders for the last few blocks, and under the
	// limit both copies are on their way before the cancel arrives: a few
	// blocks per seeder, nothing else twice.
	assert.LessOrEqual(t, st["fetched"].(int64), size+8*16<<10, "blocks fetched twice")
	assert.LessOrEqual(t, st["wasted"].(int64), int64(8*16<<10))
}
