//go:build !js

package node

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyStrictOpensNothingDirect: with a proxy and no
// ProxyAllowDirect, a node that would otherwise listen, run uTP and the
// DHT and ask the router for ports does none of it; without the proxy the
// same configuration does all of it (so the test can tell).
func TestProxyStrictOpensNothingDirect(t *testing.T) {
	cfg, m := wildcardConfig(t) // LSD off here: it would join the host's groups
	plain, err := New(cfg)
	require.NoError(t, err)
	assert.NotEmpty(t, plain.ListenAddr())
	assert.NotNil(t, plain.dht)
	assert.NotNil(t, *m, "the router was asked")
	require.NoError(t, plain.Close())

	cfg, m = wildcardConfig(t)
	cfg.NoLSD = false
	cfg.Proxy = "socks5://127.0.0.1:1"
	n, err := New(cfg)
	require.NoError(t, err)
	defer n.Close()
	assert.Empty(t, n.ListenAddr(), "no listener")
	assert.Nil(t, n.dht, "no DHT")
	assert.Nil(t, n.lsd, "no LSD")
	assert.Nil(t, *m, "the router was not asked")
	_, ok := n.PortMapping()
	assert.False(t, ok)
	assert.True(t, n.cfg.NoUTP && n.cfg.NoDHT && n.cfg.NoLSD && n.cfg.NoPortMapping && n.cfg.NoWebRTC && n.cfg.NoListen)
	assert.False(t, lsdWanted(n.cfg))
	assert.NotNil(t, n.httpc, "the blocklist download goes through the proxy")
}

// TestProxyAllowDirect keeps the listener and the DHT beside the proxy.
func TestProxyAllowDirect(t *testing.T) {
	cfg, _ := wildcardConfig(t)
	cfg.Proxy, cfg.ProxyAllowDirect = "socks5://user:pw@127.0.0.1:1", true
	n, err := New(cfg)
	require.NoError(t, err)
	defer n.Close()
	assert.NotEmpty(t, n.ListenAddr())
	assert.NotNil(t, n.dht)
}

// TestProxyErrors: a bad URL, and a WebSocket listener in strict mode,
// fail New with ErrProxy before anything opens.
func TestProxyErrors(t *testing.T) {
	for _, tc := range []struct{ proxy, ws string }{
		{"http://127.0.0.1:8080", ""},
		{"socks5://127.0.0.1:0", ""},
		{"socks5://127.0.0.1:1080", "127.0.0.1:0"},
	} {
		cfg, m := wildcardConfig(t)
		cfg.Proxy, cfg.WSListenAddr, cfg.Logger = tc.proxy, tc.ws, slog.New(slog.DiscardHandler)
		_, err := New(cfg)
		assert.ErrorIs(t, err, ErrProxy, tc.proxy)
		assert.NotContains(t, err.Error(), "\n")
		assert.Nil(t, *m)
	}
}

func TestStrictPort(t *testing.T) {
	assert.Equal(t, uint16(51413), strictPort(":51413"))
	assert.Equal(t, uint16(defaultAnnouncePort), strictPort(":0"))
	assert.Equal(t, uint16(defaultAnnouncePort), strictPort(""))
}
