//go:build !js

package node

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOfflineGuard(t *testing.T) {
	t.Setenv("BRAID_TEST_OFFLINE", "1")
	require.True(t, TestOffline())
	for _, h := range []string{"127.0.0.1", "::1", "[::1]", "10.1.2.3", "192.168.1.9", "fe80::1", "localhost"} {
		assert.True(t, isLocalHost(h), h)
	}
	for _, h := range []string{"stun.l.google.com", "8.8.8.8", "2001:4860::1", "tracker.example.local"} {
		assert.False(t, isLocalHost(h), h)
	}
	require.NoError(t, CheckICEServers([]ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}},
		{URLs: []string{"turn:[::1]:3478?transport=udp"}, Username: "u", Credential: "p"}}))
	require.ErrorIs(t, CheckICEServers([]ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}}), ErrNotOffline)
	require.ErrorIs(t, CheckLocalURLs("tracker", []string{"wss://tracker.example.org"}), ErrNotOffline)
	require.NoError(t, CheckLocalURLs("tracker", []string{"ws://127.0.0.1:8000/announce"}))
	cfg := Config{NoWebRTC: true, DHTBootstrap: []string{"router.example.org:6881"}}
	require.ErrorIs(t, cfg.checkOffline(), ErrNotOffline)
	cfg.NoDHT = true
	require.NoError(t, cfg.checkOffline())

	t.Setenv("BRAID_TEST_OFFLINE", "")
	require.NoError(t, CheckICEServers([]ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}}))
	// Malformed servers are refused whatever the mode.
	require.Error(t, CheckICEServers([]ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}}}))
	require.Error(t, CheckICEServers([]ICEServer{{URLs: []string{"http://127.0.0.1"}}}))
}
