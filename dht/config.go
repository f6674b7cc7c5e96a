package dht

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// Config sets up a Node. The zero value listens on a random IPv4 port and
// bootstraps from the public routers.
type Config struct {
	// Addr is the UDP listen address, e.g. "127.0.0.1:0" or ":6881"; "" means
	// ":0". An empty or IPv4 host gives an IPv4 DHT, an IPv6 literal an IPv6 one.
	Addr string
	// Conn, when set, is a UDP socket shared with another protocol (uTP on
	// the peer port, as other clients share it): the node reads and
	// writes through it instead of listening on Addr. It must have no
	// deadlines to honour and its Close must leave the port to its owner.
	Conn net.PacketConn
	// BootstrapNodes ("host:port") seed an empty routing table. When empty and
	// NoBootstrap is false, DefaultBootstrapNodes are used.
	BootstrapNodes []string
	// NoBootstrap never falls back to DefaultBootstrapNodes, so only the
	// nodes given here, in the state file or through AddNode are contacted.
	NoBootstrap bool
	// StateFile keeps our node ID and the routing table across restarts: read
	// by New, written atomically by Close and every few minutes. "" = none.
	StateFile string
	// NoSecurity turns off BEP 42's node ID check, which is otherwise
	// enforced: a node whose ID does not match its IP (a node that could
	// choose its place in the ID space, as a Sybil attack does) never
	// joins the routing table and is not asked in lookups. Nodes at
	// private, link-local and loopback addresses are exempt, as BEP 42
	// says.
	NoSecurity bool
	// Logger receives the node's diagnostics; nil discards them.
	Logger *slog.Logger
}

// DefaultBootstrapNodes are the public routers used to join the mainline DHT.
var DefaultBootstrapNodes = []string{
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"router.utorrent.com:6881",
}

// Stats is a snapshot of a node's health.
type Stats struct {
	GoodNodes   int // routing-table nodes heard from in the last 15 minutes
	Nodes       int // all routing-table nodes
	Outstanding int // queries awaiting an answer
	Lookups     int // running Announce/GetPeers traversals
	// Announced counts announce_peer queries other nodes accepted from us.
	Announced int64
	// StoredInfoHashes and StoredPeers measure what others announced to us.
	StoredInfoHashes int
	StoredPeers      int
}

var (
	// ErrUnsupported: there is no DHT on this platform (js/wasm).
	ErrUnsupported = fmt.Errorf("dht: not available on this platform: %w", errors.ErrUnsupported)
	// ErrClosed: the node was closed.
	ErrClosed = errors.New("dht: node closed")
	// ErrNoNodes: there is nobody to ask (empty table, no bootstrap node
	// answered).
	ErrNoNodes = errors.New("dht: no nodes to contact")
	// ErrInvalidAddr: an address is not a usable "host:port".
	ErrInvalidAddr = errors.New("dht: invalid address")
	// ErrInvalidPort: Announce needs a port in 1..65535 unless impliedPort.
	ErrInvalidPort = errors.New("dht: invalid port")
	// ErrBusy: too many AddNode pings are already queued; try later.
	ErrBusy = errors.New("dht: too busy")
	// ErrBadState: the state file is corrupt; it is ignored.
	ErrBadState = errors.New("dht: bad state file")
)
