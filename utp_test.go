//go:build !js

package braid_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// A leecher that names the seeder as a uTP peer downloads over uTP, in
// plain and inside MSE: the listener's port is a UDP port too.
func TestUTPPeer(t *testing.T) {
	fx := makeFixture(t, 32<<10, 3_000_000, 100_001)
	for _, policy := range []braid.Encryption{braid.EncryptionEnabled, braid.EncryptionRequired} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			seeder := transportClient(t, fx.srcDir, func(c *braid.Config) {
				c.NoWebRTC, c.Encryption = true, policy
				c.UploadRate = 2 << 20 // slow enough to watch the connection
			})
			st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
			require.NoError(t, err)
			waitDone(t, st, 30*time.Second)

			dir := t.TempDir()
			leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC, c.Encryption = true, policy })
			lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers("utp://"+seeder.ListenAddr()))
			require.NoError(t, err)
			seen := map[string]int{}
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !isDone(lt); time.Sleep(5 * time.Millisecond) {
				for k, v := range peersBy(t, leecher, fx.ih) {
					seen[k] = max(seen[k], v)
				}
			}
			waitDone(t, lt, time.Second)
			requireSameFiles(t, fx, dir)
			require.Equal(t, map[string]int{"utp": 1}, nonZero(seen), "transports seen")
		})
	}
}

// With NoUTP the listener's port carries no uTP: a uTP dial finds nobody.
func TestNoUTP(t *testing.T) {
	fx := makeFixture(t, 32<<10, 200_000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC, c.NoUTP = true, true })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	leecher := transportClient(t, t.TempDir(), func(c *braid.Config) { c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers("utp://"+seeder.ListenAddr()))
	require.NoError(t, err)
	select {
	case <-lt.Completed():
		t.Fatal("downloaded over uTP from a client without uTP")
	case <-time.After(3 * time.Second):
	}
	require.Empty(t, nonZero(peersBy(t, leecher, fx.ih)))
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// A listener on all interfaces (":0", the CLI's ":6881") reports "[::]"
// as its host; the uTP port beside it is still IPv4 (most uTP peers are):
// a leecher reaches it over 127.0.0.1. (That its DHT answers over IPv4
// and IPv6 is node's TestWildcardListenIsReachableOverIPv4UDP.)
func TestWildcardListenIsReachableOverIPv4UDP(t *testing.T) {
	fx := makeFixture(t, 32<<10, 300_000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) {
		c.ListenAddr, c.NoPortMapping, c.NoWebRTC, c.NoDHT = ":0", true, true, false
	})
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	_, port, err := net.SplitHostPort(seeder.ListenAddr())
	require.NoError(t, err)
	v4 := net.JoinHostPort("127.0.0.1", port)

	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers("utp://"+v4))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, fx, dir)
}
