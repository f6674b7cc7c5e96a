package websocket

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// parseURL checks a dial target and returns its host:port (default ports
// 80 and 443), which names the peer when no TCP address is known.
func parseURL(raw string) (string, error) {
	if !IsURL(raw) {
		return "", fmt.Errorf("websocket: dial %q: %w", raw, ErrNotURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("websocket: dial %q: %w", raw, err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("websocket: dial %q: no host: %w", raw, ErrNotURL)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "wss") {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}
