package engine

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/braid-bt/braid/transport"
)

// errNoTransport: no configured transport dials the address (a uTP peer
// with uTP off, a TCP peer in the browser).
var errNoTransport = errors.New("no transport dials this address")

// dialFailed: no connection was made (refused, unreachable, timed out),
// as opposed to one made and then closed.
type dialFailed struct{ err error }

func (d *dialFailed) Error() string { return d.err.Error() }
func (d *dialFailed) Unwrap() error { return d.err }

// dialerFor is the first configured transport that dials addr, and the
// address it dials.
func (e *Engine) dialerFor(addr string) (transport.Dialer, string, error) {
	for _, t := range e.cfg.Transports {
		if d, ok := t.(transport.Dialer); ok {
			if daddr, ok := d.DialAddr(addr); ok {
				return d, daddr, nil
			}
		}
	}
	return nil, "", errNoTransport
}

// dial opens a connection over d, within the transport's own connect
// timeout if it has one.
func (e *Engine) dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	if t := d.Traits().ConnectTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	c, err := d.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if err := e.refuseDialled(c); err != nil {
		return nil, err
	}
	return c, nil
}

// withoutScheme is the "host:port" of a "scheme://host:port" peer address
// (a uTP peer's, say), and any other address unchanged (a URL with a path
// included).
func withoutScheme(addr string) string {
	_, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return addr
	}
	if _, port, err := net.SplitHostPort(rest); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return rest
		}
	}
	return addr
}
