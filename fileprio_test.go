//go:build !js

package braid_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// A file skipped while the torrent runs is not fetched, the torrent
// finishes without it and without stopping; wanted again, it is fetched
// by the same running torrent. The choice is in the resume record.
func TestSetFilePrioritiesWhileRunning(t *testing.T) {
	const piece = 32 << 10
	fx := makeFixture(t, piece, 300_000, 500_000, 200_001)
	seeder := seedFixture(t, fx)

	dir, state := t.TempDir(), t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) {
		c.NoWebRTC, c.StateDir = true, state
		c.DownloadRate = 256 << 10 // slow enough that the change comes first
	})
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	require.NoError(t, lt.SetFilePriorities(map[int]braid.FilePriority{1: braid.FileSkip, 2: braid.FileHigh}))
	prios, err := lt.FilePriorities()
	require.NoError(t, err)
	assert.Equal(t, []braid.FilePriority{braid.FileNormal, braid.FileSkip, braid.FileHigh}, prios)

	waitDone(t, lt, 60*time.Second)
	assert.Equal(t, "finished", lt.State())
	stats, err := leecher.Stats(fx.ih, "fetched")
	require.NoError(t, err)
	// At most the pieces in flight when the change came, plus the shared ones.
	assert.LessOrEqual(t, stats["fetched"].(int64), int64(300_000+200_001+12*piece), "the skipped file was fetched")

	// Wanted again: the same torrent fetches it and seeds.
	require.NoError(t, lt.SetFilePriorities(map[int]braid.FilePriority{1: braid.FileLow}))
	require.Eventually(t, func() bool { return lt.State() == "seeding" }, 60*time.Second, 50*time.Millisecond)
	select {
	case <-lt.Stopped():
		t.Fatal("the torrent stopped for the change")
	default:
	}
	requireSameFiles(t, fx, dir)

	// Bad input changes nothing.
	require.ErrorIs(t, lt.SetFilePriorities(map[int]braid.FilePriority{3: braid.FileHigh}), braid.ErrNoSuchFile)
	require.ErrorIs(t, lt.SetFilePriorities(map[int]braid.FilePriority{-1: braid.FileHigh}), braid.ErrNoSuchFile)
	require.ErrorIs(t, lt.SetFilePriorities(map[int]braid.FilePriority{0: 9}), braid.ErrBadLimit)
	prios, err = lt.FilePriorities()
	require.NoError(t, err)
	assert.Equal(t, []braid.FilePriority{braid.FileNormal, braid.FileLow, braid.FileHigh}, prios)

	// The record keeps the priorities: a restart without options has them.
	require.NoError(t, leecher.StopAndSerialize(fx.ih))
	again, err := leecher.Resume(context.Background(), fx.ih)
	require.NoError(t, err)
	<-again.Checked()
	prios, err = again.FilePriorities()
	require.NoError(t, err)
	assert.Equal(t, []braid.FilePriority{braid.FileNormal, braid.FileLow, braid.FileHigh}, prios)
	_, err = os.Stat(filepath.Join(dir, "content"))
	require.NoError(t, err)
}

// WithFilePriorities starts a torrent with its files' priorities; a bad
// index or priority is refused before anything starts.
func TestWithFilePriorities(t *testing.T) {
	fx := makeFixture(t, 32<<10, 300_000, 500_000, 200_001)
	seeder := seedFixture(t, fx)
	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC = true })
	for _, bad := range []map[int]braid.FilePriority{{3: braid.FileLow}, {-2: braid.FileLow}, {0: -1}, {0: 4}} {
		_, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithFilePriorities(bad))
		require.Error(t, err, "%v", bad)
	}
	assert.Empty(t, leecher.List())

	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()),
		braid.WithFilePriorities(map[int]braid.FilePriority{0: braid.FileSkip, 1: braid.FileLow}))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	assert.Equal(t, "finished", lt.State())
	got, err := os.ReadFile(filepath.Join(dir, "content", "sub", "b.bin"))
	require.NoError(t, err)
	require.Equal(t, fx.files[filepath.Join("content", "sub", "b.bin")], got, "the low file is fetched")
}
