//go:build !js

package braid_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestSlowStorageBlocksNoOtherCall: a torrent whose storage takes seconds
// to open holds no lock the rest of the API needs. While it opens, List,
// Stats of another torrent and Remove of a third answer; a second Download
// of the slow torrent waits for the first instead of opening it twice.
func TestSlowStorageBlocksNoOtherCall(t *testing.T) {
	c := newTestClient(t, t.TempDir())
	ctx := context.Background()
	b, _, err := c.Seed(ctx, []braid.SeedFile{{Path: []string{"b.bin"}, Data: []byte("bbbb")}}, braid.SeedOptions{})
	require.NoError(t, err)
	third, _, err := c.Seed(ctx, []braid.SeedFile{{Path: []string{"c.bin"}, Data: []byte("cccc")}}, braid.SeedOptions{})
	require.NoError(t, err)

	slow := makeFixture(t, 16<<10, 40<<10)
	release := make(chan struct{})
	var opens atomic.Int32
	braid.SetBeforeStorage(c, func(ih braid.InfoHash) {
		if ih == slow.ih {
			opens.Add(1)
			select {
			case <-release:
			case <-time.After(30 * time.Second):
			}
		}
	})
	type result struct {
		tor *braid.Torrent
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() {
		tor, err := c.DownloadBytes(ctx, slow.torrent)
		first <- result{tor, err}
	}()
	require.Eventually(t, func() bool { return opens.Load() == 1 }, 10*time.Second, time.Millisecond)
	go func() {
		tor, err := c.DownloadBytes(ctx, slow.torrent)
		second <- result{tor, err}
	}()

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		require.ElementsMatch(t, []braid.InfoHash{b.InfoHash(), third.InfoHash()}, c.List())
		st, err := c.Stats(b.InfoHash(), "name", "state")
		require.NoError(t, err)
		require.Equal(t, "b.bin", st["name"])
		require.NoError(t, c.Remove(third.InfoHash(), braid.DeleteData(true)))
		require.Equal(t, []braid.InfoHash{b.InfoHash()}, c.List())
	}()
	select {
	case <-answered:
	case <-time.After(20 * time.Second):
		t.Fatal("the API waited for a torrent's storage to open")
	}
	require.Empty(t, second, "a second start of the same torrent waits for the first")
	require.Empty(t, first)

	close(release)
	r1, r2 := <-first, <-second
	require.NoError(t, r1.err)
	require.NoError(t, r2.err)
	require.Same(t, r1.tor, r2.tor, "one torrent, started once")
	require.EqualValues(t, 1, opens.Load(), "its storage opened once")
	require.ElementsMatch(t, []braid.InfoHash{b.InfoHash(), slow.ih}, c.List())
}
