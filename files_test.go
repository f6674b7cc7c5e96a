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
	"github.com/braid-bt/braid/persist"
)

// WithFiles downloads the chosen files only: they arrive whole, the other
// file gets at most the bytes of the pieces it shares with them, and the
// torrent completes when the chosen files do. Indexes the torrent does not
// have are refused before anything starts.
func TestWithFiles(t *testing.T) {
	const piece = 32 << 10
	fx := makeFixture(t, piece, 300_000, 500_000, 200_001)
	seeder := seedFixture(t, fx)

	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent,
		braid.WithPeers(seeder.ListenAddr()), braid.WithFiles(0, 2))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	// The chosen files are done, not the torrent: finished, not seeding.
	assert.Equal(t, "finished", lt.State())
	assert.Eventually(t, func() bool {
		st, err := leecher.Stats(fx.ih, "state")
		return err == nil && st["state"] == "finished"
	}, 5*time.Second, 20*time.Millisecond, "stats show the state")
	seed, err := seeder.Stats(fx.ih, "state")
	require.NoError(t, err)
	assert.Equal(t, "seeding", seed["state"], "a whole torrent seeds")

	for _, rel := range []string{"content/first.bin", "content/sub/c.bin"} {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		require.NoError(t, err)
		require.Equal(t, fx.files[filepath.FromSlash(rel)], got, rel)
	}
	skipped, err := os.ReadFile(filepath.Join(dir, "content", "sub", "b.bin"))
	if err == nil {
		want := fx.files[filepath.Join("content", "sub", "b.bin")]
		// Real bytes only in the two pieces b.bin shares with a or c.
		n := 0
		for i := range skipped {
			if i < len(want) && skipped[i] == want[i] && skipped[i] != 0 {
				n++
			}
		}
		assert.LessOrEqual(t, n, 2*piece, "b.bin holds more than its shared pieces")
	}
	stats, err := leecher.Stats(fx.ih, "fetched")
	require.NoError(t, err)
	assert.LessOrEqual(t, stats["fetched"].(int64), int64(300_000+200_001+4*piece), "unchosen pieces were fetched")

	other := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC = true })
	for _, bad := range [][]int{{3}, {-1}, {0, 7}} {
		_, err := other.DownloadBytes(context.Background(), fx.torrent, braid.WithFiles(bad...))
		require.ErrorIs(t, err, braid.ErrNoSuchFile, "%v", bad)
	}
	assert.Empty(t, other.List(), "a refused download leaves nothing behind")
}

// The choice of files is in the resume record: a torrent stopped and added
// again without WithFiles keeps it, and stays complete without fetching
// the file it was told to leave.
func TestWithFilesSurvivesRestart(t *testing.T) {
	fx := makeFixture(t, 32<<10, 300_000, 500_000, 200_001)
	seeder := seedFixture(t, fx)

	dir, state := t.TempDir(), t.TempDir()
	cfg := withState(state)
	leecher := transportClient(t, dir, cfg)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent,
		braid.WithPeers(seeder.ListenAddr()), braid.WithFiles(1))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	require.NoError(t, leecher.Close())

	again := transportClient(t, dir, cfg)
	at, err := again.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, at, 30*time.Second)
	time.Sleep(time.Second) // a restored "everything" would be fetching now
	stats, err := again.Stats(fx.ih, "fetched", "progress")
	require.NoError(t, err)
	assert.Zero(t, stats["fetched"], "the unchosen files were fetched after the restart")
	got, err := os.ReadFile(filepath.Join(dir, "content", "sub", "b.bin"))
	require.NoError(t, err)
	require.Equal(t, fx.files[filepath.Join("content", "sub", "b.bin")], got)
}

// A record whose file priorities are out of range (a damaged or foreign
// record) is used without them: no panic, every file fetched.
func TestRecordWithStrayPriorities(t *testing.T) {
	fx := makeFixture(t, 32<<10, 100_000, 100_000)
	seeder := seedFixture(t, fx)

	dir, state := t.TempDir(), t.TempDir()
	cfg := withState(state)
	first := transportClient(t, dir, cfg)
	_, err := first.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	require.NoError(t, first.Close())

	store, err := persist.NewFileStateStore(state)
	require.NoError(t, err)
	rec, err := store.Load(fx.ih)
	require.NoError(t, err)
	rec.FilePriorities = []int{100, -3}
	require.NoError(t, store.Save(rec))

	again := transportClient(t, dir, cfg)
	at, err := again.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, at, 30*time.Second)
	requireSameFiles(t, fx, dir)
}

// withState makes a client keep its records in state, so a second client
// with it resumes what the first saved.
func withState(state string) func(*braid.Config) {
	return func(c *braid.Config) { c.NoWebRTC, c.StateDir = true, state }
}
