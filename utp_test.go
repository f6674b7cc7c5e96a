//go:build !js

package braid_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/dht"
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
// as its host; the UDP port beside it must still be IPv4: the mainline DHT
// and most uTP peers are IPv4. Over 127.0.0.1 a uTP dial and a DHT node
// reach this client, and over ::1 its IPv6 DHT.
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

	node, err := dht.New(dht.Config{Addr: "127.0.0.1:0", BootstrapNodes: []string{v4}, NoBootstrap: true})
	require.NoError(t, err)
	defer node.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, node.Bootstrap(ctx), "the client's DHT answers on IPv4")

	// Beside it runs an IPv6 DHT on the same port number (BEP 32), where
	// this machine has IPv6.
	if pc, err := net.ListenPacket("udp6", "[::1]:0"); err == nil {
		pc.Close()
		node6, err := dht.New(dht.Config{Addr: "[::1]:0", BootstrapNodes: []string{net.JoinHostPort("::1", port)}, NoBootstrap: true})
		require.NoError(t, err)
		defer node6.Close()
		require.NoError(t, node6.Bootstrap(ctx), "the client's IPv6 DHT answers")
	} else {
		t.Logf("no IPv6 loopback here (%v): the IPv6 DHT is not checked", err)
	}

	dir := t.TempDir()
	leecher := transportClient(t, dir, func(c *braid.Config) { c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers("utp://"+v4))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, fx, dir)
}
