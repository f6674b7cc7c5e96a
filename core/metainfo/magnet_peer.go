package metainfo

import (
	"net/netip"
	"strconv"
	"strings"
)

// canonicalPeer checks an x.pe value ("1.2.3.4:6881", "[2001:db8::1]:6881"
// or "host.example:6881", port 1..65535) and returns its canonical form.
// Unspecified and multicast addresses and IPv6 zones are refused: no peer
// can be reached there.
func canonicalPeer(s string) (string, bool) {
	if l := strings.ToLower(s); strings.HasPrefix(l, "ws://") || strings.HasPrefix(l, "wss://") {
		return canonicalWSPeer(s)
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a := ap.Addr()
		if ap.Port() == 0 || a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() {
			return "", false
		}
		return ap.String(), true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", false
	}
	host, portStr := strings.TrimSuffix(s[:i], "."), s[i+1:]
	if !allDigits(portStr) || len(portStr) > 5 {
		return "", false
	}
	port, _ := strconv.Atoi(portStr)
	if port < 1 || port > 65535 || !validHostname(host) {
		return "", false
	}
	return strings.ToLower(host) + ":" + strconv.Itoa(port), true
}

// validHostname accepts DNS names: dot-separated labels of letters,
// digits and inner hyphens, at most 253 bytes, no trailing dot. A name that looks like a
// mangled IP address (all digits and dots) is refused.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	numeric := true
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '-':
				numeric = false
			case '0' <= c && c <= '9':
			default:
				return false
			}
		}
	}
	return !numeric
}

// maxWSPeerLen bounds a ws:// peer URL in a magnet.
const maxWSPeerLen = 512

// canonicalWSPeer accepts a WebSocket peer URL (the peer wire inside
// WebSocket messages): ws:// or wss://, a host:port as for TCP peers, and
// an optional path of printable characters. Its form is "scheme://host:port/path".
func canonicalWSPeer(s string) (string, bool) {
	if len(s) > maxWSPeerLen {
		return "", false
	}
	scheme, rest, _ := strings.Cut(s, "://")
	scheme = strings.ToLower(scheme)
	hostPort, path, _ := strings.Cut(rest, "/")
	hp, ok := canonicalPeer(hostPort)
	if !ok {
		return "", false
	}
	if ap, err := netip.ParseAddrPort(hp); err == nil && ap.Addr().Is6() {
		hp = "[" + ap.Addr().String() + "]:" + strconv.Itoa(int(ap.Port()))
	}
	for _, r := range path {
		if r <= ' ' || r == 0x7f || r == '#' {
			return "", false
		}
	}
	return scheme + "://" + hp + "/" + path, true
}
