//go:build !js

package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/node"
)

// iceConfig parses client flags and returns the ICE part of the config.
func iceConfig(t *testing.T, args ...string) (braid.Config, error) {
	t.Helper()
	var f clientFlags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	require.NoError(t, fs.Parse(args))
	return f.config("t", io.Discard)
}

func TestICEFlags(t *testing.T) {
	pass := filepath.Join(t.TempDir(), "pass")
	require.NoError(t, os.WriteFile(pass, []byte("s3cret\nignored\n"), 0o600))
	turn := "turn:127.0.0.1:3478?transport=udp"

	cfg, err := iceConfig(t, "--stun", "none")
	require.NoError(t, err)
	assert.Empty(t, cfg.ICEServers)

	cfg, err = iceConfig(t, "--stun", "stun:127.0.0.1:3478,stun:10.0.0.1:19302", "--stun", "stun:[::1]:3478")
	require.NoError(t, err)
	assert.Equal(t, []braid.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}, {URLs: []string{"stun:10.0.0.1:19302"}},
		{URLs: []string{"stun:[::1]:3478"}}}, cfg.ICEServers)

	cfg, err = iceConfig(t, "--stun", "none", "--turn", turn, "--turn-user", "u", "--turn-pass-file", pass, "--relay-only")
	require.NoError(t, err)
	assert.Equal(t, []braid.ICEServer{{URLs: []string{turn}, Username: "u", Credential: "s3cret"}}, cfg.ICEServers)
	assert.True(t, cfg.ICERelayOnly)

	// --no-webrtc: no ICE servers at all, so the public defaults are not refused.
	cfg, err = iceConfig(t, "--no-webrtc")
	require.NoError(t, err)
	assert.Empty(t, cfg.ICEServers)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--stun", "http://x"}, "want a stun: URL"},
		{[]string{"--stun", "none,stun:127.0.0.1:1"}, "cannot be combined"},
		{[]string{"--stun", "stun:"}, "bad ICE server"},
		{[]string{"--stun", "none", "--turn", turn}, "--turn-user"},
		{[]string{"--stun", "none", "--turn", "stun:127.0.0.1:1", "--turn-user", "u", "--turn-pass-file", pass}, "want a turn:"},
		{[]string{"--stun", "none", "--turn", turn, "--turn-user", "u", "--turn-pass-file", pass + ".missing"}, "--turn-pass-file"},
		{[]string{"--stun", "none", "--turn-user", "u"}, "need --turn"},
		{[]string{"--stun", "none", "--relay-only"}, "--relay-only needs"},
	} {
		_, err := iceConfig(t, tc.args...)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.msg, "%v", tc.args)
	}
}

// TestICEDefaultsRefusedInTestMode: the tests run with
// BRAID_TEST_OFFLINE=1 (TestMain), so a client left with the public STUN
// defaults fails to start: no test reaches the internet by accident.
func TestICEDefaultsRefusedInTestMode(t *testing.T) {
	require.True(t, node.TestOffline())
	_, err := iceConfig(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), node.ErrNotOffline.Error()+": ICE server "+braid.DefaultICEServers[0].URLs[0])
	_, err = braid.New(braid.Config{NoListen: true, NoDHT: true, ICEServers: braid.DefaultICEServers, StateDir: t.TempDir()})
	require.ErrorIs(t, err, node.ErrNotOffline)
	_, err = braid.New(braid.Config{NoListen: true, NoDHT: true, WSTrackers: braid.DefaultWebTrackers[:1], StateDir: t.TempDir()})
	require.ErrorIs(t, err, node.ErrNotOffline)
}
