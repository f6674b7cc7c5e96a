// Package engine is Braid's runtime: it owns sockets, storage, hashing and
// trackers, and drives one core/session state machine per torrent from a
// single goroutine that alone touches that torrent's state.
package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"golang.org/x/time/rate"

	"github.com/braid-bt/braid/tracker"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/webseed"
)

// Defaults for the limits a serious client needs against hostile swarms.
const (
	DefaultMaxPeersPerTorrent = 80
	DefaultMaxConns           = 500
	DefaultMaxHalfOpen        = 32
	DefaultHandshakeTimeout   = 10 * time.Second
	// Incoming connections that have not finished their handshake are
	// capped overall and per address, so silent sockets can neither lock
	// out real peers nor starve our own dials (which have their own limit).
	DefaultMaxInboundPending = 64
	maxPendingPerIP          = 8
)

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("engine closed")

// Config configures an Engine.
type Config struct {
	PeerID             [20]byte
	Port               uint16 // port announced to trackers
	MaxPeersPerTorrent int
	MaxConns           int
	MaxHalfOpen        int
	HandshakeTimeout   time.Duration
	HashWorkers        int
	// TrackerMinInterval floors re-announces (tests set it low).
	TrackerMinInterval time.Duration
	// UploadRate caps the payload sent to all peers, in bytes per second
	// (0: unlimited).
	UploadRate int64
	// DownloadRate caps the payload read from all peers, in bytes per
	// second (0: unlimited). Each torrent then keeps only a few seconds'
	// worth of requests outstanding (session.Config.MaxOutstanding).
	DownloadRate int64
	// Encryption is the MSE policy for peers of the transports MSE runs
	// over (transport.Traits.MSE: TCP, uTP; default: enabled).
	Encryption Encryption
	// DHT finds peers without trackers (nil: no DHT).
	DHT DHT
	// LSD finds peers on the LAN (BEP 14; nil: none).
	LSD LSD
	// Transports are the wires peers are reached over. The engine accepts
	// peers on every transport.Acceptor (and closes it when it closes),
	// dials a peer address over the first transport.Dialer that takes it,
	// and meets peers through the first transport.Signalled on the
	// torrents' WebSocket trackers (none: those trackers are ignored).
	Transports []transport.Transport
	// SignalTrackers are WebSocket trackers every public torrent joins.
	SignalTrackers []string
	// NoClassicTrackers ignores HTTP and UDP trackers: the browser, whose
	// peers could not dial the ip:port peers they return anyway.
	NoClassicTrackers bool
	Logger            *slog.Logger
	// Clock is the engine's time (default: the wall clock, ticking every
	// second). Tests pass a FakeClock.
	Clock Clock
	// Version is the client version our extension handshakes advertise
	// ("Braid 0.1.0"); empty: none.
	Version string
	// Blocked, if set, reports whether peers at an IP are refused (an IP
	// blocklist; IPv4-mapped IPv6 is asked as IPv4). It is asked on every
	// accept, before the handshake, and of every address before it is
	// dialled (and of the IP a dialled host name reached); candidates
	// from trackers, the DHT, PEX and the user it refuses are never
	// remembered. It may change its answers (see DropBlocked) and must be
	// safe for concurrent use.
	Blocked func(netip.Addr) bool
	// TrackerOptions are every HTTP and UDP tracker client's, and
	// WebSeedOptions every web seed's: natively a proxy's HTTP client and
	// UDP dialer when one is set (the zero values: direct).
	TrackerOptions tracker.ClientOptions
	WebSeedOptions webseed.Options
}

func (c *Config) setDefaults() {
	if c.MaxPeersPerTorrent <= 0 {
		c.MaxPeersPerTorrent = DefaultMaxPeersPerTorrent
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxHalfOpen <= 0 {
		c.MaxHalfOpen = DefaultMaxHalfOpen
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Engine runs torrents and accepts incoming peers for them.
type Engine struct {
	cfg    Config
	hasher *hasher
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	upload *rate.Limiter // rate.Inf when unlimited (SetRates)
	// download paces reading blocks; rate.Inf when unlimited.
	download *rate.Limiter
	clock    Clock      // every torrent's "now" and tick
	wall     *wallClock // the default clock, if the engine made it

	conns    atomic.Int64 // established peer connections, all torrents
	halfOpen atomic.Int64 // our dials in progress
	inbound  atomic.Int64 // incoming connections still handshaking
	blocked  atomic.Int64 // connections and candidates Config.Blocked refused

	pendingMu sync.Mutex
	pendingIP map[string]int // incoming handshakes per remote IP

	mu        sync.Mutex
	torrents  map[[20]byte]*Torrent
	listeners []transport.Acceptor
	closed    bool
}

// New starts an engine, accepting peers on the configured transports that
// accept them.
func New(cfg Config) *Engine {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg: cfg, hasher: newHasher(cfg.HashWorkers), ctx: ctx, cancel: cancel,
		torrents: make(map[[20]byte]*Torrent), pendingIP: make(map[string]int),
		clock: cfg.Clock,
	}
	if e.clock == nil {
		e.wall = newWallClock(time.Second)
		e.clock = e.wall
	}
	// A burst of one batch lets a writer send what it assembled. Both
	// limiters exist unlimited too, so SetRates can change them.
	e.upload = rate.NewLimiter(rateOf(cfg.UploadRate), maxBatchBytes)
	e.download = rate.NewLimiter(rateOf(cfg.DownloadRate), downloadBurst)
	for _, t := range cfg.Transports {
		if a, ok := t.(transport.Acceptor); ok {
			e.serve(a)
		}
	}
	return e
}

// PeerID is this engine's BitTorrent peer id.
func (e *Engine) PeerID() [20]byte { return e.cfg.PeerID }

// serve accepts peers on l until the engine closes.
func (e *Engine) serve(l transport.Acceptor) {
	e.mu.Lock()
	e.listeners = append(e.listeners, l)
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				if e.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return
				}
				e.cfg.Logger.Warn("accept", "err", err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if e.refuseIncoming(c) {
				_ = c.Close()
				continue
			}
			ip := peers.HostOf(c.RemoteAddr().String())
			if e.conns.Load()+e.inbound.Load() >= int64(e.cfg.MaxConns) ||
				e.inbound.Load() >= DefaultMaxInboundPending || !e.admitPending(ip) {
				_ = c.Close()
				continue
			}
			e.inbound.Add(1)
			go func() {
				defer e.releasePending(ip)
				e.acceptPeer(c, l)
			}()
		}
	}()
}

// admitPending counts an incoming handshake from ip, refusing past the
// per-address cap.
func (e *Engine) admitPending(ip string) bool {
	e.pendingMu.Lock()
	defer e.pendingMu.Unlock()
	if e.pendingIP[ip] >= maxPendingPerIP {
		return false
	}
	e.pendingIP[ip]++
	return true
}

func (e *Engine) releasePending(ip string) {
	e.pendingMu.Lock()
	defer e.pendingMu.Unlock()
	if e.pendingIP[ip]--; e.pendingIP[ip] <= 0 {
		delete(e.pendingIP, ip)
	}
}

// Close stops accepting, stops every torrent (saving its record, without
// telling trackers) and waits.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	ls := e.listeners
	ts := e.registered()
	e.mu.Unlock()
	e.cancel()
	for _, l := range ls {
		_ = l.Close()
	}
	for _, t := range ts {
		t.shutdown()
	}
	e.wg.Wait()
	e.hasher.close()
	if e.wall != nil {
		e.wall.close()
	}
	return nil
}
