// Package transport is what Braid's engine asks of a peer transport: a
// wire the peer wire travels over (TCP, uTP, WebSocket, WebRTC). Every
// transport ends in a net.Conn carrying the ordinary peer wire, so the
// engine never names one: it gets its transports from its configuration,
// labels peers with a transport's Name and acts on its Traits.
//
// Transports differ in how a connection comes about, so the interface is
// a small core (Transport: a name and traits) and capabilities a transport
// has or lacks:
//
//   - Dialer: it connects to a peer at an address ("host:port" over TCP,
//     "utp://host:port" over uTP, a ws:// URL over WebSocket).
//   - Acceptor: peers connect to it on a socket (a TCP listener, the uTP
//     socket, a WebSocket listener).
//   - Signalled: connections are negotiated through a signalling service
//     (WebRTC: offers and answers relayed by a WebTorrent tracker). There
//     is no address to dial and no socket to listen on: a peer is named
//     by its peer id, met through a torrent's tracker announces, and its
//     data channel opens when both sides agreed. A Dial(addr) for WebRTC
//     would need a made-up address and hide that the tracker, not the
//     engine, decides when a connection comes.
//
// Where a node may dial without listening (no listener configured, a
// browser dialling ws:// peers), dialling and accepting are separate
// values (tcp.Dialer and tcp.Listener); where one socket does both (uTP)
// one value is both.
package transport

import (
	"context"
	"net"
	"time"
)

// Transport is one wire peers are reached over.
type Transport interface {
	// Name labels the transport's peers in stats ("tcp", "utp",
	// "websocket", "webrtc"): a peer's transport, peers_by_transport.
	Name() string
	// Traits are what the engine does differently for its peers.
	Traits() Traits
}

// Traits are the properties of a transport the engine acts on.
type Traits struct {
	// MSE: BitTorrent's Message Stream Encryption runs over it, as over
	// any bare byte stream between two BitTorrent ports (TCP, uTP). An
	// incoming peer may start with an MSE key exchange, and the
	// encryption policy applies to our dials. WebSocket and WebRTC peers
	// are encrypted by their transport or not at all, and speak no MSE.
	MSE bool
	// MSEFirst: when encryption is optional, dial with MSE first and plain
	// when the peer closes that (otherwise plain first, then MSE). Over
	// uTP libtorrent requiring encryption leaves a plain handshake
	// unanswered until the timeout, where over TCP it closes it at once.
	MSEFirst bool
	// PEXUTP: peers reached over it are advertised with PEX's uTP flag
	// (BEP 11), so others dial them over uTP.
	PEXUTP bool
	// ConnectTimeout bounds making the connection (before the handshake)
	// apart from the handshake timeout; 0: the handshake timeout alone. A
	// uTP dialler hears no ICMP, so a port nobody listens on would cost
	// the whole handshake timeout.
	ConnectTimeout time.Duration
}

// Dialer is a transport that connects to peers at an address.
type Dialer interface {
	Transport
	// DialAddr reports whether addr names a peer this transport dials,
	// and the address Dial takes for it (a "utp://host:port" peer is
	// dialled at "host:port").
	DialAddr(addr string) (string, bool)
	// Dial connects to a peer at an address DialAddr returned.
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// Fallback is a Dialer with a second transport for a peer that takes the
// connection but closes it before the handshakes are through: the engine
// dials the same address over Fallback in the time left. TCP's is uTP
// (clients set to uTP only accept a TCP connection and close it). A dial
// that fails outright (refused, unreachable) is not retried: that is how
// stale peer lists answer.
type Fallback interface {
	Dialer
	// Fallback is the second transport; nil: none.
	Fallback() Dialer
}

// Acceptor is a transport peers connect to: a listening socket. The engine
// accepts on it until it closes, and closes it when the engine closes.
type Acceptor interface {
	Transport
	// Accept waits for the next incoming peer; after Close it returns an
	// error wrapping net.ErrClosed.
	Accept() (net.Conn, error)
	Addr() net.Addr
	Close() error
}

// Signalled is a transport whose connections are negotiated through a
// signalling service (a WebTorrent WebSocket tracker) instead of dialled
// or accepted. The engine starts one Signaller per torrent and tracker.
type Signalled interface {
	Transport
	// Signal starts the signalling client for spec.URL on behalf of one
	// torrent; connections it opens go to spec.OnConn.
	Signal(spec SignalSpec) (Signaller, error)
}

// Signaller finds peers through a signalling channel (a WebTorrent
// WebSocket tracker) and hands over connections whose data channel is open.
// Run blocks until ctx ends, telling the tracker it stopped on the way out.
type Signaller interface {
	Run(ctx context.Context)
	// Completed tells the tracker the torrent completed.
	Completed()
}

// SignalSpec is what a Signaller gets from a torrent.
type SignalSpec struct {
	URL              string
	InfoHash, PeerID [20]byte
	// Stats reports uploaded, downloaded and left bytes for announces.
	Stats func() (uploaded, downloaded, left int64)
	// Want says whether the torrent has room for more peers.
	Want func() bool
	// OnConn receives an open connection; the engine runs the handshake.
	OnConn func(c net.Conn, remotePeerID [20]byte)
	// Connected reports a peer id already connected (by any transport), so
	// no second connection to it is negotiated.
	Connected func(remotePeerID [20]byte) bool
}
