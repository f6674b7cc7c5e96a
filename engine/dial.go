package engine

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"
)

// utpScheme marks a peer address dialled over uTP only.
const utpScheme = "utp://"

// UTPAddr names the peer at "host:port" to be dialled over uTP.
func UTPAddr(hostport string) string { return utpScheme + hostport }

// encryptable: MSE runs on the byte-stream transports (TCP and uTP), not
// inside WebSocket or WebRTC, which have their own (or none).
func encryptable(transport string) bool { return transport == "tcp" || transport == "utp" }

var errNoUTP = errors.New("uTP is not enabled")

// dialFailed: no connection was made (refused, unreachable, timed out),
// as opposed to one made and then closed.
type dialFailed struct{ err error }

func (d *dialFailed) Error() string { return d.err.Error() }
func (d *dialFailed) Unwrap() error { return d.err }

// utpConnectTimeout bounds a uTP connection attempt. Nothing tells a uTP
// dialler that nobody listens (libutp sees no ICMP), so a stale peer costs
// the whole wait; four seconds leave room for two lost SYNs.
const utpConnectTimeout = 4 * time.Second

// dial opens a connection over addr's transport.
func (e *Engine) dial(ctx context.Context, addr string) (net.Conn, error) {
	if hp, ok := SplitUTP(addr); ok {
		if e.cfg.DialUTP == nil {
			return nil, errNoUTP
		}
		ctx, cancel := context.WithTimeout(ctx, utpConnectTimeout)
		defer cancel()
		return e.cfg.DialUTP(ctx, hp)
	}
	return e.cfg.Dial(ctx, addr)
}

// SplitUTP returns the "host:port" of a "utp://host:port" address (the
// scheme in any case) and true; any other address unchanged and false.
func SplitUTP(addr string) (string, bool) {
	if len(addr) >= len(utpScheme) && strings.EqualFold(addr[:len(utpScheme)], utpScheme) {
		return addr[len(utpScheme):], true
	}
	return addr, false
}

func isUTP(addr string) bool { _, ok := SplitUTP(addr); return ok }
