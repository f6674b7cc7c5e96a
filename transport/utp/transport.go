//go:build !js

package utp

import (
	"strings"
	"time"

	"github.com/braid-bt/braid/transport"
)

// Name identifies this transport in stats.
const Name = "utp"

// Scheme marks a peer address to be dialled over uTP only:
// "utp://host:port".
const Scheme = Name + "://"

// ConnectTimeout bounds connecting to a peer over uTP. Nothing tells a
// uTP dialler that nobody listens (libutp hears no ICMP), so a stale peer
// costs the whole wait; four seconds leave room for two lost SYNs.
const ConnectTimeout = 4 * time.Second

// Addr names the peer at "host:port" to be dialled over uTP.
func Addr(hostport string) string { return Scheme + hostport }

// SplitAddr returns the "host:port" of a "utp://host:port" address (the
// scheme in any case) and true; any other address unchanged and false.
func SplitAddr(addr string) (string, bool) {
	if len(addr) >= len(Scheme) && strings.EqualFold(addr[:len(Scheme)], Scheme) {
		return addr[len(Scheme):], true
	}
	return addr, false
}

// A Socket is a transport.Acceptor and a transport.Dialer.
var (
	_ transport.Acceptor = (*Socket)(nil)
	_ transport.Dialer   = (*Socket)(nil)
)

// Name is "utp".
func (*Socket) Name() string { return Name }

// Traits: MSE runs over uTP, tried first (libtorrent requiring encryption
// leaves a plain uTP handshake unanswered rather than closing it); PEX
// tells others its peers take uTP; connecting is bounded by
// ConnectTimeout.
func (*Socket) Traits() transport.Traits {
	return transport.Traits{MSE: true, MSEFirst: true, PEXUTP: true, ConnectTimeout: ConnectTimeout}
}

// DialAddr takes "utp://host:port" addresses, dialled at "host:port".
func (*Socket) DialAddr(addr string) (string, bool) { return SplitAddr(addr) }
