package rpc

import (
	"os"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestQueueWaitsForAdd: the queue runs (a tick) while a torrent-add has
// recorded its entry but not yet started the torrent. The queue must not
// try to start it (it has no resume record yet), the entry takes no error,
// it is not in a state file saved meanwhile, and it runs after the add.
func TestQueueWaitsForAdd(t *testing.T) {
	f := newFixture(t, nil)
	ticked := false
	f.srv.beforeStart = func() {
		ticked = true
		f.srv.tick(time.Now())
		data, err := os.ReadFile(f.state)
		require.NoError(t, err)
		require.NotContains(t, string(data), `"name":"racing"`, "an unanswered add is not saved")
	}
	id := addTorrent(t, f, "racing", true, false)
	require.True(t, ticked)
	e, ok := f.srv.st.get(id)
	require.True(t, ok)
	require.Empty(t, e.Error)
	require.False(t, e.adding)
	require.NotNil(t, f.srv.active(e), "running after its add")
	data, err := os.ReadFile(f.state)
	require.NoError(t, err)
	require.Contains(t, string(data), e.Hash.String(), "saved once answered")
}

// TestStartErrorNotKeptAcrossRestart: a start error recorded in the state
// file (the queue failed to start a torrent) does not keep the torrent
// stopped after a restart: it gets a fresh try.
func TestStartErrorNotKeptAcrossRestart(t *testing.T) {
	f := newFixture(t, nil)
	id := addTorrent(t, f, "retry", true, false)
	// Its completion runs the queue in the background: wait for that.
	waitFor(t, "done date", func() bool { e, _ := f.srv.st.get(id); return e.DoneDate != 0 })
	e, _ := f.srv.st.get(id)
	f.srv.st.update(id, func(x *entry) { x.Error = "resume " + e.Hash.String() + ": torrent not found" })
	require.NoError(t, f.c.StopAndSerialize(e.Hash))
	require.NoError(t, f.srv.Save())
	f.srv.schedule()
	require.Empty(t, f.c.List(), "within a run an errored torrent waits for torrent-start")

	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	srv2.Resume()
	require.Equal(t, []braid.InfoHash{e.Hash}, f.c.List(), "started again after the restart")
	e2, _ := srv2.st.get(id)
	require.Empty(t, e2.Error)
}
