//go:build !js

package braid_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/persist"
)

// countingState counts the records loaded through it.
type countingState struct {
	persist.StateStore
	loads atomic.Int64
}

func (s *countingState) Load(ih [20]byte) (*persist.Record, error) {
	s.loads.Add(1)
	return s.StateStore.Load(ih)
}

// TestResumeLoadsTheRecordOnce: resuming a stopped torrent reads its
// resume record once (a browser reload resumes every torrent, and a
// record carries a hash per piece), starts it with that record's pieces,
// returns a running torrent as it is, and reports a torrent without a
// record as not found.
func TestResumeLoadsTheRecordOnce(t *testing.T) {
	fx := makeFixture(t, 32<<10, 100_000)
	state := t.TempDir()
	c := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC, c.StateDir = true, state })
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, tor, 30*time.Second)
	require.NoError(t, c.StopAndSerialize(fx.ih))

	cs := &countingState{}
	braid.WrapState(c, func(s persist.StateStore) persist.StateStore { cs.StateStore = s; return cs })
	again, err := c.Resume(context.Background(), fx.ih)
	require.NoError(t, err)
	require.EqualValues(t, 1, cs.loads.Load(), "one load of the record per resume")
	<-again.Checked()
	st, err := c.Stats(fx.ih, "progress")
	require.NoError(t, err)
	require.Equal(t, 1.0, st["progress"], "the record's pieces are there")

	same, err := c.Resume(context.Background(), fx.ih)
	require.NoError(t, err)
	require.Same(t, again, same, "a running torrent is returned as it is")

	var unknown braid.InfoHash
	unknown[0] = 1
	_, err = c.Resume(context.Background(), unknown)
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
	require.Equal(t, []braid.InfoHash{fx.ih}, c.List(), "no torrent started without a record")
}
