// Package node is what a running Braid needs around its engine, per
// platform: the state store, the transports and their listeners, the one
// UDP port uTP and the DHT share, the dual-stack DHT, port mapping, the
// WebSocket peer listener and the choice of storage. Natively
// (node_native.go) that is TCP and uTP, files on disk and a DHT; in the
// browser (node_js.go) IndexedDB and WebSocket dials. WebRTC, found
// through WebSocket trackers, runs on both.
//
// New opens everything and creates the engine with it; whatever it opened
// before a failure is released. Close releases it all, in order.
package node

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/dht"
	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/webrtc"
)

// Config says what a Node opens. Its zero value has no listener address:
// set ListenAddr or NoListen.
type Config struct {
	// Engine configures the engine (peer id, limits, encryption, version).
	// New fills in what the node owns: its transports, the DHT, the port
	// announced to trackers, hash workers, the choice of trackers and the
	// logger.
	Engine engine.Config
	// StateDir holds resume records and the DHT's routing table (natively
	// a directory; in the browser it names the IndexedDB database).
	StateDir string
	// ListenAddr is the TCP peer listener's address ("host:port"; port 0
	// picks one). Its port is also uTP's and the DHT's, over UDP. NoListen
	// opens none (nor uTP).
	ListenAddr string
	NoListen   bool
	// NoUTP leaves uTP off.
	NoUTP bool
	// NoPortMapping asks the router for nothing.
	NoPortMapping bool
	// NoDHT runs no DHT; DHTAddr puts it on a UDP address of its own
	// (default: the listener's port, shared with uTP). DHTBootstrap are the
	// nodes a fresh node asks first (none: no contact unless peers give
	// nodes).
	NoDHT        bool
	DHTAddr      string
	DHTBootstrap []string
	// NoLSD runs no Local Service Discovery (BEP 14). Otherwise, natively,
	// torrents are announced to the LAN's multicast groups, on every
	// multicast-capable interface or LSDInterface, but only when outside
	// peers could reach the listener (it is not bound to loopback, as for
	// port mapping): a node on 127.0.0.1, as in tests, never multicasts.
	NoLSD        bool
	LSDInterface string
	// WSListenAddr, when set, also listens for WebSocket peers (native).
	WSListenAddr string
	// NoWebRTC ignores WebSocket trackers; otherwise WebRTC peers are met
	// through them (WSTrackers join every public torrent), with these ICE
	// servers (relay candidates only with RelayOnly), on loopback only
	// with RTCLoopback.
	NoWebRTC    bool
	WSTrackers  []string
	ICEServers  []ICEServer
	RelayOnly   bool
	RTCLoopback bool
	// MapPorts starts keeping the TCP listener's port and these UDP ports
	// forwarded by the router. It is asked only when outside peers could
	// reach the listener (not bound to loopback) and NoPortMapping is
	// unset. Nil: UPnP IGD and NAT-PMP (package portmap) natively, nothing
	// in the browser; tests pass a fake.
	MapPorts func(tcpPort int, udpPorts []int) PortMapper
	// Blocklist is an IP blocklist to refuse peers by (package
	// blocklist's formats, plain or gzip): a file, or natively an http://
	// or https:// URL (fetched within BlocklistFetchTimeout and
	// MaxBlocklistDownload bytes). A list that cannot be read fails New,
	// wrapping ErrBlocklist. ReloadBlocklist reads it again.
	Blocklist string
	// Proxy is a SOCKS5 proxy (socks5://[user:pass@]host:port, RFC 1928
	// and 1929), natively: peer connections over TCP (ws:// peers' too),
	// HTTP and UDP trackers (UDP ASSOCIATE), web seeds and the blocklist's download go
	// through it, host names resolved by the proxy, and never around it
	// when it fails. Unless ProxyAllowDirect (strict mode), what it cannot
	// carry is off: no listener (trackers are told the listen address's
	// port, or 6881, where nothing listens), no uTP, DHT, LSD, port
	// mapping or WebRTC; a WSListenAddr fails New. With
	// ProxyAllowDirect those run directly as without a proxy. A bad URL
	// fails New, wrapping ErrProxy.
	Proxy            string
	ProxyAllowDirect bool
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// PortMapper keeps the router forwarding the listening ports.
type PortMapper interface {
	Status() PortMapping
	// Close removes the forwards.
	Close()
}

// PortMapping is what the router did with the node's ports.
type PortMapping struct {
	Gateway    string   `json:"gateway"`     // "UPnP 192.168.1.1:5000", "NAT-PMP 192.168.1.1"; "" if none answered
	ExternalIP string   `json:"external_ip"` // the router's outside address, if it said
	Ports      []string `json:"ports"`       // forwarded, as "TCP 6881"
	Error      string   `json:"error"`       // the last failure
}

// maxNegotiations bounds WebRTC offers and answers in flight per node:
// each holds a PeerConnection (sockets, DTLS state) until it opens or
// times out.
const maxNegotiations = 64

// Node is a running engine and what it needs around it.
type Node struct {
	cfg   Config
	eng   *engine.Engine
	state persist.StateStore
	plat  platform
	addr  string     // the TCP listener's address; "" without one
	wsURL string     // the WebSocket listener's URL; "" without one
	dht   dht.Server // nil without a DHT
	ports PortMapper // nil when no mapping was asked for
	// blocks is the current IP blocklist (none without Config.Blocklist).
	blocks blockHolder
	lsd    lsdNode // nil without Local Service Discovery
	// httpc downloads the blocklist (nil: net/http's default client; a
	// proxy's with Config.Proxy).
	httpc *http.Client

	closeOnce sync.Once
	closeErr  error
}

// lsdNode is Local Service Discovery as the node runs it (lsd.Node).
type lsdNode interface {
	engine.LSD
	Close() error
}

// Engine is the node's engine.
func (n *Node) Engine() *engine.Engine { return n.eng }

// State is the node's store of resume records.
func (n *Node) State() persist.StateStore { return n.state }

// ListenAddr is the address peers reach the TCP listener on ("" if none).
func (n *Node) ListenAddr() string { return n.addr }

// WSURL is the ws:// URL of the WebSocket peer listener ("" if none).
func (n *Node) WSURL() string { return n.wsURL }

// PortMapping reports what the router did with the listening ports; ok
// is false when no mapping was asked for (NoPortMapping, no listener, a
// loopback listener, the browser).
func (n *Node) PortMapping() (pm PortMapping, ok bool) {
	if n.ports == nil {
		return PortMapping{}, false
	}
	return n.ports.Status(), true
}

// Close stops Local Service Discovery and the DHT, then the engine (every torrent, without
// serializing, and the listeners), then removes the router's forwards.
// The DHT goes first: it may share uTP's socket, which the engine
// closes, and it saves its routing table while it still works. Calls
// after the first return its result.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		var errs []error
		if n.lsd != nil {
			if err := n.lsd.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if n.dht != nil {
			if err := n.dht.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := n.eng.Close(); err != nil {
			errs = append(errs, err)
		}
		if n.ports != nil {
			n.ports.Close()
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// ReadTorrentFile reads a .torrent file, refusing one larger than
// metainfo.MaxTorrentSize (an error wrapping metainfo.ErrTooLarge). A
// browser has no files to read.
func (n *Node) ReadTorrentFile(path string) ([]byte, error) { return readTorrentFile(path) }

// OpenStorage opens a torrent's storage and reports whether it holds data
// already (to be verified before it is trusted): natively its files under
// dir, in the browser its pieces in the IndexedDB database.
func (n *Node) OpenStorage(dir string, ih [20]byte, info *metainfo.Info) (persist.Storage, bool, error) {
	return n.plat.openStorage(dir, ih, info)
}

// startEngine adds the transports both platforms share (WebRTC) and
// creates the engine with what New opened.
func (n *Node) startEngine(ecfg engine.Config, ts []transport.Transport, hashWorkers int, classicTrackers bool) {
	if !n.cfg.NoWebRTC {
		ts = append(ts, webrtc.NewTransport(webrtc.Config{
			ICEServers: n.cfg.ICEServers, RelayOnly: n.cfg.RelayOnly, LoopbackOnly: n.cfg.RTCLoopback, Logger: n.cfg.Logger,
			Limit: webrtc.NewPendingLimit(maxNegotiations), // one cap for every torrent
		}))
		ecfg.SignalTrackers = n.cfg.WSTrackers
	}
	ecfg.Transports = ts
	ecfg.Blocked = n.blocks.blocked
	if n.dht != nil {
		ecfg.DHT = n.dht
	}
	if n.lsd != nil {
		ecfg.LSD = n.lsd
	}
	ecfg.HashWorkers = hashWorkers
	ecfg.NoClassicTrackers = !classicTrackers
	ecfg.Logger = n.cfg.Logger
	n.eng = engine.New(ecfg)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
