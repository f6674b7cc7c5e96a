package engine

import (
	"context"
	"testing"

	"github.com/braid-bt/braid/core/picker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The setters of a running torrent never wait for its loop (which takes
// commands only once the data is checked): they return at once, what they
// report reads back at once, and the loop applies them in order.
func TestSettersDoNotWaitForTheLoop(t *testing.T) {
	tor := bareTorrent(t, 1)
	tor.loopDone = make(chan struct{})
	e := tor.e
	var cancel context.CancelFunc
	e.ctx, cancel = context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e.cfg.NoClassicTrackers = true // no announcer goroutine in this test
	require.True(t, tor.SetRates(1000, 2000, false))
	require.True(t, tor.SetMaxPeers(3))
	require.True(t, tor.SetSequential(true))
	require.True(t, tor.SetTrackers([][]string{{"http://a/announce"}, {}}))
	require.True(t, tor.SetFilePriorities(map[int]picker.Priority{0: picker.PriorityLow}))

	up, down, honor := tor.Rates()
	assert.Equal(t, []any{int64(1000), int64(2000), false}, []any{up, down, honor})
	assert.Equal(t, 3, tor.MaxPeers())
	assert.True(t, tor.Sequential())
	assert.Equal(t, [][]string{{"http://a/announce"}}, tor.tiers(), "empty tiers dropped")
	assert.Len(t, tor.events, 5, "queued for the loop, in order")

	// The loop runs them: the book's cap and the list take effect.
	for range 5 {
		ev := (<-tor.events).(evCmd)
		ev.fn()
	}
	assert.Equal(t, 3, tor.book.MaxPeers())
	assert.Equal(t, [][]string{{"http://a/announce"}}, tor.spec.Tiers)
	assert.Nil(t, tor.pendingTiers)
	assert.Equal(t, picker.PriorityLow, tor.spec.FilePriorities[0])
	assert.True(t, tor.spec.Sequential)

	close(tor.loopDone)
	assert.False(t, tor.SetMaxPeers(5), "a stopped torrent refuses")
}
