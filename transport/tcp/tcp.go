// Package tcp carries the BitTorrent peer wire over TCP (BEP 3).
package tcp

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/braid-bt/braid/transport"
)

// Name identifies this transport in stats.
const Name = "tcp"

// DefaultDialTimeout bounds a connection attempt; unreachable peers are the
// norm in public swarms, so waiting longer only wastes half-open slots.
const DefaultDialTimeout = 10 * time.Second

// traits: MSE runs over TCP, plain handshake first.
var traits = transport.Traits{MSE: true}

// Listener accepts TCP peers: a transport.Acceptor.
type Listener struct{ net.Listener }

// Listen opens a TCP listener for incoming peers. An empty addr means
// ":6881"; a port of 0 picks a free port.
func Listen(addr string) (*Listener, error) {
	if addr == "" {
		addr = ":6881"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen on %s: %w", addr, err)
	}
	return &Listener{l}, nil
}

// Name is "tcp".
func (*Listener) Name() string { return Name }

// Traits: MSE, plain first.
func (*Listener) Traits() transport.Traits { return traits }

// Port is the port the listener got.
func (l *Listener) Port() int { return l.Addr().(*net.TCPAddr).Port }

// Dialer dials TCP peers at "host:port": a transport.Dialer, whose
// fallback (if any) takes a peer that closes the connection before the
// handshakes are through.
type Dialer struct {
	fallback transport.Dialer
	via      DialFunc // nil: directly
}

// DialFunc opens a TCP connection to "host:port" some other way than
// directly (a proxy's CONNECT).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewDialer makes a Dialer; fallback may be nil.
func NewDialer(fallback transport.Dialer) Dialer { return Dialer{fallback: fallback} }

// NewDialerVia makes a Dialer that opens every connection with via (a
// proxy), within DefaultDialTimeout, and never directly: when via fails,
// the dial fails. fallback may be nil.
func NewDialerVia(via DialFunc, fallback transport.Dialer) Dialer {
	return Dialer{fallback: fallback, via: via}
}

// Name is "tcp".
func (Dialer) Name() string { return Name }

// Traits: MSE, plain first.
func (Dialer) Traits() transport.Traits { return traits }

// DialAddr takes any address without a scheme ("host:port").
func (Dialer) DialAddr(addr string) (string, bool) { return addr, !strings.Contains(addr, "://") }

// Dial connects to a peer at "host:port" (see the package's Dial), or
// through the Dialer's proxy.
func (d Dialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if d.via == nil {
		return Dial(ctx, addr)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	defer cancel()
	c, err := d.via(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: dial %s: %w", addr, err)
	}
	return c, nil
}

// Fallback is the transport given to NewDialer.
func (d Dialer) Fallback() transport.Dialer { return d.fallback }

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
