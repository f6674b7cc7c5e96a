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
type Dialer struct{ fallback transport.Dialer }

// NewDialer makes a Dialer; fallback may be nil.
func NewDialer(fallback transport.Dialer) Dialer { return Dialer{fallback: fallback} }

// Name is "tcp".
func (Dialer) Name() string { return Name }

// Traits: MSE, plain first.
func (Dialer) Traits() transport.Traits { return traits }

// DialAddr takes any address without a scheme ("host:port").
func (Dialer) DialAddr(addr string) (string, bool) { return addr, !strings.Contains(addr, "://") }

// Dial connects to a peer at "host:port" (see the package's Dial).
func (Dialer) Dial(ctx context.Context, addr string) (net.Conn, error) { return Dial(ctx, addr) }

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
