//go:build !js

package dht

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testLogger shows the nodes' warnings (and everything with DHT_DEBUG=1).
func testLogger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("DHT_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// newTestNode starts a loopback node that never falls back to the public
// routers; it is closed when the test ends.
func newTestNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.NoBootstrap = true
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	n, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// newNetwork starts count nodes, each bootstrapped from the first and the
// previous one, then bootstraps them all again so early nodes learn of
// later ones.
func newNetwork(t *testing.T, count int) []*Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nodes := []*Node{newTestNode(t, Config{})}
	for i := 1; i < count; i++ {
		boot := []string{nodes[0].Addr().String(), nodes[i-1].Addr().String()}
		n := newTestNode(t, Config{BootstrapNodes: boot})
		require.NoError(t, n.Bootstrap(ctx), "node %d", i)
		nodes = append(nodes, n)
	}
	for i, n := range nodes {
		require.NoError(t, n.Bootstrap(ctx), "node %d", i)
	}
	return nodes
}

// collect reads a lookup to its end, failing on a repeated address.
func collect(t *testing.T, ch <-chan []netip.AddrPort) []netip.AddrPort {
	t.Helper()
	var all []netip.AddrPort
	seen := map[netip.AddrPort]bool{}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case batch, ok := <-ch:
			if !ok {
				return all
			}
			require.NotEmpty(t, batch, "empty batch")
			for _, ap := range batch {
				require.False(t, seen[ap], "peer %v reported twice", ap)
				seen[ap] = true
				require.NotZero(t, ap.Port())
				require.False(t, ap.Addr().IsUnspecified())
			}
			all = append(all, batch...)
		case <-timeout:
			t.Fatal("lookup did not end")
		}
	}
}

func loopback(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
}
