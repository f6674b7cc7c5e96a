// Package braid is the public API of the Braid BitTorrent engine. The same
// API runs natively (TCP peers, files on disk) and in the browser (WebRTC
// and WebSocket peers, IndexedDB).
//
//	c, err := braid.New(braid.Config{DataDir: "downloads"})
//	t, err := c.Download(ctx, "file.torrent")
//	<-t.Completed()
//	st, err := c.Stats(t.InfoHash(), "name", "progress", "speed")
//	err = c.StopAllAndSerialize()
package braid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/node"
	"github.com/braid-bt/braid/persist"
)

// Sentinel errors of the API; match them with errors.Is.
var (
	ErrTorrentNotFound = errors.New("torrent not found")
	ErrInvalidTorrent  = errors.New("invalid torrent")
	ErrUnknownField    = errors.New("unknown field")
	ErrClosed          = errors.New("client closed")
	// ErrNoSuchFile: WithFiles named a file the torrent does not have (or
	// one of its padding files).
	ErrNoSuchFile = errors.New("no such file in the torrent")
	// ErrBadLimit: a file priority, a rate or a peer limit out of range.
	ErrBadLimit = errors.New("value out of range")
	// ErrQuota wraps storage quota errors (the browser's IndexedDB is full).
	ErrQuota = persist.ErrQuota
	// ErrBlocklist wraps every failure to load Config.Blocklist: a missing
	// file, a failed download, a malformed line (named by its number).
	ErrBlocklist = node.ErrBlocklist
	// ErrProxy wraps every failure to use Config.Proxy: a bad URL, a
	// setting its strict mode refuses, the browser.
	ErrProxy = node.ErrProxy
)

// versionPrefix is Braid's BEP 20 peer id prefix: client "BD", version 0.0.0.1.
const versionPrefix = "-BD0001"

// semver is the human-readable release.
const semver = "0.1.0"

// Version is the BEP 20 peer-id prefix, e.g. "-BD0001". Peer ids are this
// prefix, "-", and 12 random bytes.
func Version() string { return versionPrefix }

// newPeerID makes prefix + "-" + 12 random bytes (20 bytes in all).
func newPeerID() [20]byte {
	var id [20]byte
	n := copy(id[:], versionPrefix+"-")
	_, _ = rand.Read(id[n:])
	return id
}

// InfoHash identifies a torrent: the SHA-1 of its info dictionary, or for
// a BitTorrent v2-only torrent (BEP 52) its SHA-256 truncated to 20 bytes
// (the name of its swarm). A hybrid is also found by its truncated v2 hash.
type InfoHash [20]byte

// String is the lower-case hex form.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText writes the hex form (JSON, logs).
func (h InfoHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads the hex form.
func (h *InfoHash) UnmarshalText(b []byte) error {
	v, err := ParseInfoHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseInfoHash reads a hex info hash: 40 characters (a v1 info hash, or
// a v2 one truncated to 20 bytes, as v2 swarms name a torrent), or the
// 64 of a whole BitTorrent v2 info hash (BEP 52), which names the torrent
// by its first 20 bytes. So a hybrid torrent is found by its v1 hash,
// its v2 hash and the truncated v2 hash alike; a v2-only one by either
// form of its v2 hash.
func ParseInfoHash(s string) (InfoHash, error) {
	var h InfoHash
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 20 && len(b) != 32) {
		return h, fmt.Errorf("info hash %q: want 40 or 64 hex characters", s)
	}
	copy(h[:], b)
	return h, nil
}

// Config configures a Client. The zero value is usable.
type Config struct {
	// DataDir is where torrent data is saved (default ".").
	DataDir string
	// StateDir holds resume records (default ".braid/state").
	StateDir string
	// ListenAddr is the TCP peer listener (default ":6881"; port 0 picks
	// one). NoListen disables it.
	ListenAddr string
	NoListen   bool
	// NoUTP stops Braid accepting and dialling uTP (BEP 29) peers. Otherwise
	// the listener's port is also a UDP port for uTP, which the DHT
	// shares, and a peer that takes TCP but closes it before the handshake
	// is tried over uTP. Builds
	// without cgo have no uTP.
	NoUTP bool
	// NoPortMapping stops Braid asking the router (UPnP IGD, NAT-PMP) to
	// forward the TCP listener's port and the UDP port of uTP and the DHT. A listener
	// bound to loopback never asks.
	NoPortMapping bool
	// MaxPeersPerTorrent and MaxConns bound connections (defaults 80, 500).
	MaxPeersPerTorrent int
	MaxConns           int
	// TrackerMinInterval floors tracker re-announces (default 30 s).
	TrackerMinInterval time.Duration
	// UploadRate caps upload to all peers in bytes per second (0: no cap).
	UploadRate int64
	// DownloadRate caps download from all peers in bytes per second (0: no
	// cap).
	DownloadRate int64
	// Encryption is the Message Stream Encryption policy for TCP peers:
	// EncryptionEnabled (default: plain or encrypted, as the peer wants),
	// EncryptionRequired or EncryptionDisabled.
	Encryption Encryption
	// NoDHT disables the mainline DHT (BEP 5). Otherwise a DHT node runs on
	// DHTAddr (UDP; default: the host and port of ListenAddr).
	NoDHT   bool
	DHTAddr string
	// DHTBootstrap are the nodes a fresh DHT node asks first. Empty means
	// none: the node learns nodes from peers and from its saved routing
	// table (StateDir/dht.dat). The CLI uses DefaultDHTBootstrap.
	DHTBootstrap []string
	// NoLSD disables Local Service Discovery (BEP 14). Otherwise every
	// non-private torrent is announced to the LAN's multicast groups (on
	// every multicast-capable interface) and peers announcing it there
	// are dialled; only when the listener is not bound to loopback, so a
	// client on 127.0.0.1 never multicasts.
	NoLSD bool
	// WSListenAddr, when set, also listens for peers speaking the peer wire
	// inside WebSocket messages (browsers dial it as ws://host:port/).
	// Native only.
	WSListenAddr string
	// WSTrackers are WebSocket (WebTorrent) trackers every public torrent
	// joins besides those its torrent file or magnet names: WebRTC peers
	// are found there.
	WSTrackers []string
	// ICEServers are the STUN and TURN servers WebRTC gathers candidates
	// from (none: host candidates only, enough on a LAN). The CLI and the
	// browser page use DefaultICEServers unless told otherwise.
	ICEServers []ICEServer
	// ICERelayOnly makes WebRTC use TURN relay candidates only.
	ICERelayOnly bool
	// NoWebRTC ignores WebSocket trackers (no WebRTC peers).
	NoWebRTC bool
	// RTCLoopback lets WebRTC use loopback addresses: local demos and tests
	// on one machine.
	RTCLoopback bool
	// Blocklist is an IP blocklist file, or natively an http:// or
	// https:// URL to fetch it from (within 2 minutes and 64 MiB): P2P
	// plaintext ("description:first-last"), eMule ipfilter.dat ("first -
	// last , level , description"; level 128 and up allows) or bare
	// ranges, IPv4 and IPv6, plain or gzip (package blocklist). Peers at
	// blocked addresses are neither dialled nor accepted, on every
	// transport whose peers have an IP, whoever named them (trackers, the
	// DHT, PEX, WithPeers). A list that cannot be read or has a malformed
	// line fails New (ErrBlocklist). Client.ReloadBlocklist reads it again.
	Blocklist string
	// Proxy is a SOCKS5 proxy, socks5://[user:pass@]host:port (native
	// only): peer connections over TCP (ws:// peers' too), HTTP and UDP trackers (UDP
	// ASSOCIATE), web seeds and a blocklist URL go through it, host names
	// resolved by the proxy, never around it when it fails. Unless
	// ProxyAllowDirect it is strict: no listener (trackers are told
	// ListenAddr's port, where nothing listens), no uTP, DHT, LSD, port
	// mapping or WebRTC, and a WSListenAddr fails New.
	// A bad URL fails New (ErrProxy).
	Proxy string
	// ProxyAllowDirect runs what the proxy cannot carry (the listener,
	// uTP, the DHT, LSD, port mapping, WebRTC, a WebSocket listener) directly,
	// as without a proxy.
	ProxyAllowDirect bool
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "."
	}
	if c.StateDir == "" {
		c.StateDir = ".braid/state"
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":6881"
	}
}

// Release is the human-readable version, e.g. "0.1.0".
func Release() string { return semver }

// DefaultDHTBootstrap are the well-known public DHT routers.
var DefaultDHTBootstrap = []string{"router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"}

// Encryption is the Message Stream Encryption (MSE) policy for TCP peers.
type Encryption = engine.Encryption

// The Encryption policies.
const (
	// EncryptionEnabled accepts plain and encrypted peers and dials plain
	// first, encrypted when a peer closes a plain handshake.
	EncryptionEnabled = engine.EncryptionEnabled
	// EncryptionRequired talks only MSE with RC4, both ways.
	EncryptionRequired = engine.EncryptionRequired
	// EncryptionDisabled talks only plain handshakes.
	EncryptionDisabled = engine.EncryptionDisabled
)

// ParseEncryption reads a policy name: enabled, required or disabled.
func ParseEncryption(s string) (Encryption, error) { return engine.ParseEncryption(s) }

// PortMapping is what the router did with Braid's ports (see
// Config.NoPortMapping).
type PortMapping struct {
	Gateway    string   `json:"gateway"`     // "UPnP 192.168.1.1:5000", "NAT-PMP 192.168.1.1"; "" if none answered
	ExternalIP string   `json:"external_ip"` // the router's outside address, if it said
	Ports      []string `json:"ports"`       // forwarded, as "TCP 6881"
	Error      string   `json:"error"`       // the last failure
}
