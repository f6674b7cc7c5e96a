package engine

import (
	"context"
	"testing"
	"time"

	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// gatedState holds every Save until the gate opens.
type gatedState struct {
	loggedState
	gate chan struct{}
}

func (s gatedState) Save(r *persist.Record) error {
	<-s.gate
	return s.loggedState.Save(r)
}

// TestLeavingTorrent: a torrent being stopped is no longer found or
// listed, but stays registered until its record is written, so a new
// start of it can wait (Departing) instead of opening its files twice; a
// second stop waits for the first and writes nothing more.
func TestLeavingTorrent(t *testing.T) {
	e, tor, _, log, state := recordTorrent(t, nil)
	defer e.Close()
	gate := make(chan struct{})
	tor.spec.State = gatedState{state, gate} // read by the stop, after the loop ends
	ih := tor.InfoHash()
	require.Nil(t, e.Departing(ih), "a running torrent is not leaving")
	got, ok := e.Torrent(ih)
	require.True(t, ok)
	require.Same(t, tor, got)

	first, second := make(chan error, 1), make(chan error, 1)
	go func() { first <- tor.StopAndSerialize(context.Background()) }()
	require.Eventually(t, func() bool { return e.Departing(ih) != nil }, 5*time.Second, time.Millisecond)
	_, ok = e.Torrent(ih)
	require.False(t, ok, "a leaving torrent is not found")
	require.Empty(t, e.Torrents())
	_, err := e.AddTorrent(Spec{InfoHash: ih})
	require.ErrorIs(t, err, ErrExists, "its files are still open")
	go func() { second <- tor.StopAndSerialize(context.Background()) }()
	removed := make(chan error, 1)
	go func() { removed <- tor.Remove(false) }()
	close(gate)
	require.NoError(t, <-first)
	require.NoError(t, <-second)
	require.ErrorIs(t, <-removed, ErrLeaving, "Remove of a torrent another call stops")
	require.Equal(t, []string{"sync", "save", "sync", "save"}, log.get(), "one stop wrote one record")
	select {
	case <-e.Departing(ih):
		t.Fatal("gone torrents are not leaving")
	default:
	}
	require.Nil(t, e.Departing(ih))
}
