// Package tcp carries the BitTorrent peer wire over TCP (BEP 3).
package tcp

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Name identifies this transport in stats.
const Name = "tcp"

// DefaultDialTimeout bounds a connection attempt; unreachable peers are the
// norm in public swarms, so waiting longer only wastes half-open slots.
const DefaultDialTimeout = 10 * time.Second

// Listen opens a TCP listener for incoming peers. An empty addr means
// ":6881"; a port of 0 picks a free port.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = ":6881"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen on %s: %w", addr, err)
	}
	return l, nil
}

// Dial connects to a peer, bounded by ctx and DefaultDialTimeout.
func Dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: DefaultDialTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// Large socket buffers keep a fast peer's pipe full on loopback and LANs.
		_ = tc.SetReadBuffer(1 << 20)
		_ = tc.SetWriteBuffer(1 << 20)
		_ = tc.SetNoDelay(true)
	}
	return c, nil
}
