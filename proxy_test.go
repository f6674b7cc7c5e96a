//go:build linux

package braid_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/internal/socks5/socks5test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyConfig: Config.Proxy carries the download through a SOCKS5
// proxy (Debian's microsocks, user and password, leaving from
// 127.0.0.2): the seeder sees the leecher at the proxy's address and
// the leecher names the seeder by its own; the leecher opens no listener
// (strict mode). A proxy that is down leaves the seeder unreached, and a
// bad URL fails New with ErrProxy.
func TestProxyConfig(t *testing.T) {
	_, err := braid.New(braid.Config{StateDir: t.TempDir(), Proxy: "http://127.0.0.1:3128"})
	require.ErrorIs(t, err, braid.ErrProxy)

	fx := makeFixture(t, 32<<10, 300_000, 70_000)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	ms := socks5test.Microsocks(t, "127.0.0.1", "127.0.0.2", "braid", "secret")

	proxied := func(proxy string) (*braid.Client, string) {
		dst := t.TempDir()
		c, err := braid.New(braid.Config{DataDir: dst, StateDir: filepath.Join(t.TempDir(), "state"),
			ListenAddr: "127.0.0.1:0", TrackerMinInterval: time.Second, Proxy: proxy})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c, dst
	}

	// The proxy down: nothing reaches the seeder for a few seconds of
	// redials.
	down, _ := proxied("socks5://127.0.0.1:1")
	assert.Empty(t, down.ListenAddr(), "strict mode: no listener")
	_, err = down.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	time.Sleep(3 * time.Second)
	g, err := seeder.Get(fx.ih, "peers")
	require.NoError(t, err)
	assert.Empty(t, g["peers"], "the seeder was reached around a proxy that is down")
	require.NoError(t, down.Close())

	leecher, dst := proxied("socks5://braid:secret@" + ms.Addr)
	// Both sides' peer lists, watched while the download runs (two seeds
	// part once it is done).
	seen := func(c *braid.Client, stop <-chan struct{}) <-chan map[string]bool {
		out := make(chan map[string]bool, 1)
		go func() {
			addrs := map[string]bool{}
			defer func() { out <- addrs }()
			for {
				if g, err := c.Get(fx.ih, "peers"); err == nil {
					for _, p := range g["peers"].([]braid.PeerInfo) {
						addrs[p.Addr] = true
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		return out
	}
	stop := make(chan struct{})
	bySeeder := seen(seeder, stop)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	byLeecher := seen(leecher, stop)
	waitDone(t, lt, 60*time.Second)
	close(stop)
	requireSameFiles(t, fx, dst)
	sa, la := <-bySeeder, <-byLeecher
	require.NotEmpty(t, sa, "the seeder never listed the leecher")
	for a := range sa {
		assert.True(t, strings.HasPrefix(a, "127.0.0.2:"), "the seeder saw the leecher at %s, not the proxy's address", a)
	}
	for a := range la {
		assert.Equal(t, seeder.ListenAddr(), a, "the leecher names the seeder, not the proxy")
	}
}
