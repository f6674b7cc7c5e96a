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

// fetchedOver measures the bytes a torrent fetched over a window: the
// count when it opens, when it closes, and how long it was.
func fetchedOver(t *testing.T, c *braid.Client, ih braid.InfoHash, window time.Duration) (int64, time.Duration) {
	t.Helper()
	get := func() int64 {
		st, err := c.Stats(ih, "fetched")
		require.NoError(t, err)
		return st["fetched"].(int64)
	}
	start, before := time.Now(), get()
	time.Sleep(window)
	return get() - before, time.Since(start)
}

// A torrent's own caps hold its download (and a seeding torrent's own cap
// its upload) to the rate: the bytes moved over a window stay under the
// cap's worth plus the limiters' bursts, generously. Without honoring the
// client's caps, a torrent is free of them.
func TestTorrentRates(t *testing.T) {
	const limit = 128 << 10
	const burst = 2 * 32 * (16<<10 + 13) // both limiters' buckets, at most
	fx := makeFixture(t, 32<<10, 3_000_000, 1_000_000)
	seeder := seedFixture(t, fx)

	t.Run("download", func(t *testing.T) {
		leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC = true })
		lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
		require.NoError(t, err)
		require.NoError(t, lt.SetRates(0, limit, true))
		up, down, honor := lt.Rates()
		assert.Equal(t, []any{int64(0), int64(limit), true}, []any{up, down, honor})
		got, took := fetchedOver(t, leecher, fx.ih, 3*time.Second)
		assert.LessOrEqual(t, float64(got), float64(limit)*took.Seconds()*1.25+burst, "over %s", took)
		assert.Positive(t, got, "it still downloads")
		require.ErrorIs(t, lt.SetRates(-1, 0, true), braid.ErrBadLimit)
		_, down, _ = lt.Rates()
		assert.Equal(t, int64(limit), down, "a refused change changes nothing")
	})

	t.Run("upload", func(t *testing.T) {
		src := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
		st, err := src.DownloadBytes(context.Background(), fx.torrent)
		require.NoError(t, err)
		waitDone(t, st, 30*time.Second)
		require.NoError(t, st.SetRates(limit, 0, true))
		leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC = true })
		_, err = leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(src.ListenAddr()))
		require.NoError(t, err)
		got, took := fetchedOver(t, leecher, fx.ih, 3*time.Second)
		assert.LessOrEqual(t, float64(got), float64(limit)*took.Seconds()*1.25+burst+float64(limit), "over %s", took)
		assert.Positive(t, got)
	})

	t.Run("without the client's caps", func(t *testing.T) {
		const slow = 16 << 10
		leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC, c.DownloadRate = true, slow })
		lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
		require.NoError(t, err)
		require.NoError(t, lt.SetRates(0, 0, false))
		got, took := fetchedOver(t, leecher, fx.ih, 3*time.Second)
		assert.Greater(t, float64(got), float64(slow)*took.Seconds()*4+burst, "the client's cap still held, over %s", took)
	})
}

// SetMaxPeers closes connections beyond a lowered cap and dials no more.
func TestTorrentMaxPeers(t *testing.T) {
	fx := makeFixture(t, 32<<10, 2_000_000)
	var addrs []string
	for range 3 {
		s := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
		st, err := s.DownloadBytes(context.Background(), fx.torrent)
		require.NoError(t, err)
		waitDone(t, st, 30*time.Second)
		addrs = append(addrs, s.ListenAddr())
	}
	leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC, c.DownloadRate = true, 16<<10 })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(addrs...))
	require.NoError(t, err)
	peers := func() int {
		st, err := leecher.Stats(fx.ih, "peers")
		require.NoError(t, err)
		return st["peers"].(int)
	}
	require.Eventually(t, func() bool { return peers() == 3 }, 20*time.Second, 50*time.Millisecond)
	require.ErrorIs(t, lt.SetMaxPeers(-1), braid.ErrBadLimit)
	require.NoError(t, lt.SetMaxPeers(1))
	assert.Equal(t, 1, lt.MaxPeers())
	require.Eventually(t, func() bool { return peers() == 1 }, 10*time.Second, 50*time.Millisecond)
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		require.LessOrEqual(t, peers(), 1, "no new connection beyond the cap")
	}
	require.NoError(t, lt.SetMaxPeers(0))
	assert.Equal(t, 80, lt.MaxPeers())
}

// WithSequential downloads in order: while the download runs, the pieces
// verified are a prefix but for the few in flight at its end.
func TestTorrentSequential(t *testing.T) {
	const piece = 16 << 10
	fx := makeFixture(t, piece, 2_000_000) // 123 pieces
	seeder := seedFixture(t, fx)
	leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC, c.DownloadRate = true, 256<<10 })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()), braid.WithSequential())
	require.NoError(t, err)
	assert.True(t, lt.Sequential())
	time.Sleep(2 * time.Second)
	g, err := leecher.Get(fx.ih, "bitfield", "num_pieces")
	require.NoError(t, err)
	bits, n := g["bitfield"].([]byte), g["num_pieces"].(int)
	has := func(i int) bool { return bits[i/8]&(0x80>>(i%8)) != 0 }
	first := n
	for i := range n {
		if !has(i) {
			first = i
			break
		}
	}
	require.Greater(t, first, 8, "a prefix is done")
	require.Less(t, first, n, "not finished in the window")
	// Beyond the prefix and the pieces in flight at its end: at most the
	// seeder's allowed-fast set (BEP 6, 10 pieces), fetched while choked.
	var far []int
	for i := first + 24; i < n; i++ {
		if has(i) {
			far = append(far, i)
		}
	}
	assert.LessOrEqual(t, len(far), 10, "pieces far beyond the prefix %d: not in order: %v", first, far)
	require.NoError(t, lt.SetSequential(false))
	assert.False(t, lt.Sequential())
}
