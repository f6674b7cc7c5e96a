package websocket

import (
	"context"
	"net"

	"github.com/braid-bt/braid/transport"
)

// Dialer dials WebSocket peers at ws:// and wss:// URLs: a
// transport.Dialer, natively and in the browser.
type Dialer struct {
	// Via, natively, opens the TCP connection under the WebSocket (a
	// proxy's CONNECT) instead of dialling directly; when it fails the
	// dial fails. The browser dials with its own WebSocket and ignores it.
	Via func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ transport.Dialer = Dialer{}

// Name is "websocket".
func (Dialer) Name() string { return Name }

// Traits: none (no MSE inside WebSocket messages; wss:// is TLS).
func (Dialer) Traits() transport.Traits { return transport.Traits{} }

// DialAddr takes ws:// and wss:// URLs, dialled as they are.
func (Dialer) DialAddr(addr string) (string, bool) { return addr, IsURL(addr) }

// Dial connects to the peer at a ws:// or wss:// URL (see the package's
// Dial), through Via when set.
func (d Dialer) Dial(ctx context.Context, rawURL string) (net.Conn, error) {
	return dial(ctx, rawURL, d.Via)
}
