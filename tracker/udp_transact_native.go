//go:build !js

package tracker

import (
	"context"
	"errors"
	"net"
	"time"
)

// transact dials the tracker, obtains a connection id (cached for a
// minute) and runs fn. If a cached id draws an error reply, fn is retried
// once with a fresh id; any failure forgets the cached id.
func (c *udpClient) transact(ctx context.Context, fn func(conn net.Conn, connID uint64, v6 bool) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Unblock a pending Read when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	remote, _ := conn.RemoteAddr().(*net.UDPAddr)
	v6 := remote != nil && remote.IP.To4() == nil
	addr := conn.RemoteAddr().String()

	for attempt := 0; ; attempt++ {
		cached := c.connAddr == addr && time.Since(c.connAt) < udpConnIDLife
		if !cached {
			if err := c.connect(ctx, conn, addr); err != nil {
				return err
			}
		}
		err := fn(conn, c.connID, v6)
		if err == nil {
			return nil
		}
		c.connAddr = ""
		if !cached || attempt > 0 || !errors.Is(err, ErrFailure) {
			return err
		}
	}
}

// dial opens the transaction's socket: ClientOptions.DialUDP's, or a
// direct one.
func (c *udpClient) dial(ctx context.Context) (net.Conn, error) {
	if c.opts.DialUDP != nil {
		return c.opts.DialUDP(ctx, c.host)
	}
	var d net.Dialer
	return d.DialContext(ctx, "udp", c.host)
}
