package braid_test

import (
	"context"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestTransferPublishesCounts: a leecher's published counts reach the
// bytes it fetched (within a tick of the download), the seed's its upload;
// they agree with Stats.
func TestTransferPublishesCounts(t *testing.T) {
	fx := makeFixture(t, 16<<10, 200_000)
	seeder := seedFixture(t, fx)
	leecher := newTestClient(t, t.TempDir())
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	st, err := seeder.Torrent(fx.ih)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return lt.Transfer().Fetched >= 200_000 && st.Transfer().Uploaded >= 200_000
	}, 20*time.Second, 50*time.Millisecond, "leecher %+v, seed %+v", lt.Transfer(), st.Transfer())
	tr := lt.Transfer()
	require.Equal(t, tr.Fetched, tr.Downloaded, "a first run: all-time is this run")
	require.NoError(t, leecher.StopAndSerialize(fx.ih))
	// Once stopped the counts are final; a resumed run starts its own
	// count from zero and keeps the all-time one.
	rt, err := leecher.Resume(context.Background(), fx.ih)
	require.NoError(t, err)
	<-rt.Checked()
	got := rt.Transfer()
	require.Zero(t, got.Fetched)
	require.GreaterOrEqual(t, got.Downloaded, tr.Downloaded)
	s, err := leecher.Stats(fx.ih, "uploaded", "fetched")
	require.NoError(t, err)
	require.Equal(t, s["fetched"], got.Fetched)
}
