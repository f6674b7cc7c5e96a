package peers

import (
	"net/netip"
	"strconv"
	"strings"
)

// HostOf is the host part of a peer address, the unit of banning: the IP
// of "ip:port" (IPv4-mapped IPv6 as IPv4) or "utp://ip:port", the host
// name of a "ws://" or "wss://" peer URL, the host of "name:port", and the
// whole address otherwise ("webrtc:<peer id>" peers have no address to
// share).
func HostOf(addr string) string {
	addr = trimUTP(addr)
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if rest, ok := cutWebSocketScheme(addr); ok {
		if h := urlHostname(rest); h != "" {
			return h
		}
		return addr
	}
	if h, port, ok := splitHostPort(addr); ok {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return h
		}
	}
	return addr
}

// trimUTP drops a "utp://" scheme (in any case).
func trimUTP(addr string) string {
	const scheme = "utp://"
	if len(addr) >= len(scheme) && strings.EqualFold(addr[:len(scheme)], scheme) {
		return addr[len(scheme):]
	}
	return addr
}

// cutWebSocketScheme returns what follows "ws:" or "wss:" in a URL that
// starts "ws://" or "wss://" (in any case).
func cutWebSocketScheme(addr string) (string, bool) {
	for _, scheme := range []string{"ws:", "wss:"} {
		if len(addr) >= len(scheme)+2 && strings.EqualFold(addr[:len(scheme)], scheme) &&
			addr[len(scheme):len(scheme)+2] == "//" {
			return addr[len(scheme):], true
		}
	}
	return "", false
}

// urlHostname is the host of "//[userinfo@]host[:port][/path][?query][#fragment]",
// without port or IPv6 brackets, as net/url's URL.Hostname gives it for
// URLs net/url accepts without percent-escapes in the host.
func urlHostname(rest string) string {
	authority := rest[2:]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	host := authority[strings.LastIndexByte(authority, '@')+1:]
	if i := strings.LastIndexByte(host, ':'); i >= 0 && digits(host[i+1:]) {
		host = host[:i]
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return host
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitHostPort splits "host:port", "[host]:port" or "[host%zone]:port"
// as net.SplitHostPort does.
func splitHostPort(hostport string) (host, port string, ok bool) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 {
		return "", "", false
	}
	j, k := 0, 0
	if hostport[0] == '[' {
		end := strings.IndexByte(hostport, ']')
		if end < 0 || end+1 != i {
			return "", "", false
		}
		host = hostport[1:end]
		j, k = 1, end+1
	} else {
		host = hostport[:i]
		if strings.IndexByte(host, ':') >= 0 {
			return "", "", false
		}
	}
	if strings.IndexByte(hostport[j:], '[') >= 0 || strings.IndexByte(hostport[k:], ']') >= 0 {
		return "", "", false
	}
	return host, hostport[i+1:], true
}
