//go:build js

//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package websocket

import (
	"context"
	"fmt"
	"net"

	"nhooyr.io/websocket"
)

// Dial connects to a WebSocket peer at a ws:// or wss:// URL through the
// browser's WebSocket, bounded by ctx and DefaultDialTimeout. The browser
// hides the TCP address, so RemoteAddr is the URL's host:port.
func Dial(ctx context.Context, rawURL string) (net.Conn, error) {
	return dial(ctx, rawURL, nil)
}

// dial is Dial; the browser opens the connection itself, so via is unused.
func dial(ctx context.Context, rawURL string, _ func(context.Context, string, string) (net.Conn, error)) (net.Conn, error) {
	hostPort, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", rawURL, err)
	}
	return newConn(ws, Addr{HostPort: "browser"}, Addr{HostPort: hostPort}), nil
}

// closeConn starts the browser's close; waiting for its close event could
// stall the caller, so that happens on its own goroutine (the browser bounds it).
func closeConn(c *conn) {
	go func() { _ = c.nc.Close() }()
}
