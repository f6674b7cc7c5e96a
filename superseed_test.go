//go:build !js

package braid_test

import (
	"context"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// A super-seeding Braid seeder (BEP 16) serves two Braid leechers, which
// complete from the pieces it offers them one at a time; the choice shows
// in stats and survives a restart through the resume record, and turning
// it off is shown too.
func TestSuperSeedBraidToBraid(t *testing.T) {
	fx := makeFixture(t, 16<<10, 300_000, 170_000)
	state := t.TempDir()
	cfg := braid.Config{DataDir: fx.srcDir, StateDir: state, ListenAddr: "127.0.0.1:0"}
	seeder, err := braid.New(cfg)
	require.NoError(t, err)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent, braid.WithSuperSeed())
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	s, err := seeder.Stats(fx.ih, "super_seeding")
	require.NoError(t, err)
	require.Equal(t, true, s["super_seeding"])

	for range 2 {
		dst := t.TempDir()
		leecher := newTestClient(t, dst)
		lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
		require.NoError(t, err)
		waitDone(t, lt, 60*time.Second)
		requireSameFiles(t, fx, dst)
	}

	require.NoError(t, seeder.StopAndSerialize(fx.ih))
	require.NoError(t, seeder.Close())
	seeder, err = braid.New(cfg)
	require.NoError(t, err)
	defer seeder.Close()
	st, err = seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	s, err = seeder.Stats(fx.ih, "super_seeding")
	require.NoError(t, err)
	require.Equal(t, true, s["super_seeding"], "kept in the resume record")
	require.NoError(t, st.SetSuperSeed(false))
	s, err = seeder.Stats(fx.ih, "super_seeding")
	require.NoError(t, err)
	require.Equal(t, false, s["super_seeding"])
	require.NoError(t, seeder.StopAndSerialize(fx.ih))
	require.ErrorIs(t, st.SetSuperSeed(true), braid.ErrTorrentNotFound)
}
