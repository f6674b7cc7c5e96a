//go:build !js

//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package websocket

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"

	"nhooyr.io/websocket"
)

// Dial connects to a WebSocket peer at a ws:// or wss:// URL, bounded by ctx
// and DefaultDialTimeout. RemoteAddr is the TCP address dialed.
func Dial(ctx context.Context, rawURL string) (net.Conn, error) { return dial(ctx, rawURL, nil) }

// dial is Dial with the TCP connection opened by via when it is set.
func dial(ctx context.Context, rawURL string, via func(ctx context.Context, network, addr string) (net.Conn, error)) (net.Conn, error) {
	hostPort, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	defer cancel()

	var (
		mu  sync.Mutex
		raw net.Conn
	)
	if via == nil {
		d := net.Dialer{Timeout: DefaultDialTimeout}
		via = d.DialContext
	}
	// A transport of its own per dial: no proxy from the environment
	// (peers are reached directly, like TCP ones, or through via), bounded
	// response headers, and a hook that learns the TCP connection for
	// RemoteAddr.
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := via(ctx, network, addr)
			if err == nil {
				mu.Lock()
				raw = c
				mu.Unlock()
			}
			return c, err
		},
		TLSHandshakeTimeout:    DefaultDialTimeout,
		ResponseHeaderTimeout:  DefaultDialTimeout,
		MaxResponseHeaderBytes: 16 << 10,
	}
	// An upgraded connection leaves the transport; anything else must not
	// linger in its idle pool.
	defer tr.CloseIdleConnections()
	ws, _, err := websocket.Dial(ctx, rawURL, &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", rawURL, err)
	}
	var local, remote net.Addr = Addr{HostPort: hostPort}, Addr{HostPort: hostPort}
	mu.Lock()
	if raw != nil {
		local, remote = raw.LocalAddr(), raw.RemoteAddr()
	}
	mu.Unlock()
	return newConn(ws, local, remote), nil
}

// closeConn closes the TCP connection without a close handshake, then
// releases NetConn's timers (its own Close then returns at once).
func closeConn(c *conn) {
	_ = c.ws.CloseNow()
	_ = c.nc.Close()
}
