package peers

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4:6881":                   "1.2.3.4",
		"[::ffff:1.2.3.4]:6881":          "1.2.3.4",
		"[2001:db8::1]:6881":             "2001:db8::1",
		"[fe80::1%eth0]:6881":            "fe80::1%eth0",
		"utp://10.0.0.1:6881":            "10.0.0.1",
		"UTP://10.0.0.1:6881":            "10.0.0.1",
		"ws://tracker.example:8000/peer": "tracker.example",
		"WSS://u:p@Peer.Example/x?y#z":   "Peer.Example",
		"wss://[2001:db8::2]:443/":       "2001:db8::2",
		"ws://host?x=1/2":                "host",
		"ws:///path":                     "ws:///path",
		"host.example:80":                "host.example",
		"host.example:http":              "host.example:http",
		"host.example:70000":             "host.example:70000",
		"webrtc:0102030405":              "webrtc:0102030405",
		"webrtc-peer-abc":                "webrtc-peer-abc",
		"2001:db8::1":                    "2001:db8::1",
		"[bad":                           "[bad",
		"https://seed.example/file":      "https://seed.example/file",
		"":                               "",
		"utp://":                         "",
		"ws://":                          "ws://",
	} {
		assert.Equal(t, want, HostOf(in), in)
		assert.Equal(t, referenceHostOf(in), HostOf(in), "as net/url and net see %q", in)
	}
}

// referenceHostOf is HostOf written with net and net/url, which core
// code may not import: the fuzz target checks HostOf against it.
func referenceHostOf(addr string) string {
	if len(addr) >= 6 && strings.EqualFold(addr[:6], "utp://") {
		addr = addr[6:]
	}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if l := strings.ToLower(addr); strings.HasPrefix(l, "ws://") || strings.HasPrefix(l, "wss://") {
		if u, err := url.Parse(addr); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
		return addr
	}
	if h, port, err := net.SplitHostPort(addr); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return h
		}
	}
	return addr
}

// referenceAgrees reports whether the reference's answer for addr is the
// one HostOf must match: net/url accepts the URL, and it has no percent
// escapes (which net/url decodes in host names and HostOf leaves alone).
// For URLs net/url refuses, HostOf still names a host; the reference
// falls back to the whole address.
func referenceAgrees(addr string) bool {
	rest := addr
	if len(rest) >= 6 && strings.EqualFold(rest[:6], "utp://") {
		rest = rest[6:]
	}
	if _, ok := cutWebSocketScheme(rest); !ok {
		return true
	}
	if _, err := netip.ParseAddrPort(rest); err == nil {
		return true
	}
	_, err := url.Parse(rest)
	return err == nil && !strings.Contains(rest, "%")
}
