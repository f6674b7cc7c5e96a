//go:build !js

package main

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyFlags: --proxy reaches the configuration; strict (the
// default) says DHT, uTP, LSD, port mapping and WebRTC are off, which the
// daemon reports over RPC; --proxy-allow-direct leaves them as asked.
func TestProxyFlags(t *testing.T) {
	parse := func(args ...string) (cfgOff [5]bool, proxy string, allow bool) {
		var f clientFlags
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f.register(fs)
		require.NoError(t, fs.Parse(append([]string{"--stun", "none"}, args...)))
		cfg, err := f.config("t", io.Discard)
		require.NoError(t, err)
		return [5]bool{cfg.NoDHT, cfg.NoUTP, cfg.NoLSD, cfg.NoPortMapping, cfg.NoWebRTC}, cfg.Proxy, cfg.ProxyAllowDirect
	}
	off, proxy, allow := parse("--proxy", "socks5://u:p@10.0.0.9:1080")
	assert.Equal(t, [5]bool{true, true, true, true, true}, off)
	assert.Equal(t, "socks5://u:p@10.0.0.9:1080", proxy)
	assert.False(t, allow)

	off, _, allow = parse("--proxy", "socks5://10.0.0.9:1080", "--proxy-allow-direct")
	assert.Equal(t, [5]bool{}, off)
	assert.True(t, allow)

	off, proxy, _ = parse()
	assert.Equal(t, [5]bool{}, off)
	assert.Empty(t, proxy)
}
