// Package engine is Braid's runtime: it owns sockets, storage, hashing and
// trackers, and drives one core/session state machine per torrent from a
// single goroutine that alone touches that torrent's state.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport/tcp/mse"
	"golang.org/x/time/rate"
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
	// Encryption is the MSE policy for TCP peers (default: enabled).
	Encryption Encryption
	// DHT finds peers without trackers (nil: no DHT).
	DHT DHT
	// Dial opens an outgoing peer connection: "host:port" over TCP (native
	// builds), "ws://..." over WebSocket.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// DialUTP opens an outgoing uTP connection to "host:port" (nil: no
	// uTP). A peer that takes TCP but closes it before the handshake is
	// tried over uTP; a "utp://" address is dialled over uTP only.
	DialUTP func(ctx context.Context, addr string) (net.Conn, error)
	// Signal starts the signalling client of a WebSocket tracker (WebRTC
	// peers); nil ignores WebSocket trackers.
	Signal func(SignalSpec) (Signaller, error)
	// SignalTrackers are WebSocket trackers every public torrent joins.
	SignalTrackers []string
	// NoClassicTrackers ignores HTTP and UDP trackers: the browser, whose
	// peers could not dial the ip:port peers they return anyway.
	NoClassicTrackers bool
	Logger            *slog.Logger
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

	upload *rate.Limiter // nil when unlimited
	// download paces reading blocks; nil when unlimited.
	download *rate.Limiter
	clock    *clock // the torrents' shared 1 s tick

	conns    atomic.Int64 // established peer connections, all torrents
	halfOpen atomic.Int64 // our dials in progress
	inbound  atomic.Int64 // incoming connections still handshaking

	pendingMu sync.Mutex
	pendingIP map[string]int // incoming handshakes per remote IP

	mu        sync.Mutex
	torrents  map[[20]byte]*Torrent
	listeners []net.Listener
	closed    bool
}

// New starts an engine. Listeners are added with Serve.
func New(cfg Config) *Engine {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg: cfg, hasher: newHasher(cfg.HashWorkers), ctx: ctx, cancel: cancel,
		torrents: make(map[[20]byte]*Torrent), pendingIP: make(map[string]int),
		clock: newClock(time.Second),
	}
	if cfg.UploadRate > 0 {
		// A burst of one batch lets a writer send what it assembled.
		e.upload = rate.NewLimiter(rate.Limit(cfg.UploadRate), maxBatchBytes)
	}
	if cfg.DownloadRate > 0 {
		e.download = rate.NewLimiter(rate.Limit(cfg.DownloadRate), downloadBurst)
	}
	return e
}

// PeerID is this engine's BitTorrent peer id.
func (e *Engine) PeerID() [20]byte { return e.cfg.PeerID }

// Serve accepts peers on l until the engine closes. transport names it in stats.
func (e *Engine) Serve(l net.Listener, transport string) {
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
			ip := hostOf(c.RemoteAddr().String())
			if e.conns.Load()+e.inbound.Load() >= int64(e.cfg.MaxConns) ||
				e.inbound.Load() >= DefaultMaxInboundPending || !e.admitPending(ip) {
				_ = c.Close()
				continue
			}
			e.inbound.Add(1)
			go func() {
				defer e.releasePending(ip)
				e.acceptPeer(c, transport)
			}()
		}
	}()
}

// acceptPeer runs the incoming handshake: theirs first (it names the
// torrent), then ours. A TCP peer may wrap it in MSE (see Encryption).
func (e *Engine) acceptPeer(c net.Conn, transport string) {
	defer e.inbound.Add(-1)
	_ = c.SetDeadline(time.Now().Add(e.cfg.HandshakeTimeout))
	hs, c, err := e.readIncoming(c, transport)
	if err != nil {
		e.cfg.Logger.Debug("incoming handshake", "addr", c.RemoteAddr().String(), "err", err)
		_ = c.Close()
		return
	}
	t := e.torrent(hs.InfoHash)
	if t == nil || hs.PeerID == e.cfg.PeerID {
		e.cfg.Logger.Debug("incoming connection refused", "addr", c.RemoteAddr().String(), "known torrent", t != nil)
		_ = c.Close()
		return
	}
	ours := e.handshake(hs.InfoHash)
	if _, err := c.Write(ours.Append(nil)); err != nil {
		_ = c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	pc := pendingConn{conn: c, addr: c.RemoteAddr().String(), transport: transport, hs: hs}
	if !t.post(evConnected{pc: pc}) {
		_ = c.Close()
	}
}

// readIncoming reads an incoming peer's handshake, first running the
// receiver's side of MSE when a TCP peer starts with one. It returns the
// connection to go on with (the encrypted stream, if any).
func (e *Engine) readIncoming(c net.Conn, transport string) (wire.Handshake, net.Conn, error) {
	var buf [wire.HandshakeLen]byte
	head := buf[:len(protocolHeader)]
	if _, err := io.ReadFull(c, head); err != nil {
		return wire.Handshake{}, c, err
	}
	plain := string(head) == protocolHeader
	switch {
	case plain && encryptable(transport) && e.cfg.Encryption == EncryptionRequired:
		return wire.Handshake{}, c, errPlainRefused
	case !plain && encryptable(transport) && e.cfg.Encryption != EncryptionDisabled:
		sc, _, method, err := mse.Accept(c, head, e.torrentByReq2, e.cfg.Encryption.allowed())
		if err != nil {
			return wire.Handshake{}, c, fmt.Errorf("encrypted: %w", err)
		}
		e.cfg.Logger.Debug("incoming MSE", "addr", c.RemoteAddr().String(), "method", method)
		c = sc
		head = buf[:0]
	}
	if _, err := io.ReadFull(c, buf[len(head):]); err != nil {
		return wire.Handshake{}, c, err
	}
	hs, err := wire.ParseHandshake(buf[:])
	return hs, c, err
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

func (e *Engine) handshake(ih [20]byte) wire.Handshake {
	hs := wire.Handshake{InfoHash: ih, PeerID: e.cfg.PeerID}
	hs.SetExtended()
	hs.SetFast()
	if e.cfg.DHT != nil {
		hs.SetDHT()
	}
	return hs
}

// dialPeer connects and runs the outgoing handshake (ours first). Over
// TCP the Encryption policy decides between plain and MSE: by default a
// peer that closes our plain handshake unanswered is dialled again with
// MSE at once (clients that require encryption do that). A peer that
// takes the TCP connection but closes it before the handshakes are through
// is tried over uTP in the time left: clients set to uTP only do that. A
// refused TCP dial is not: that is how a stale tracker entry answers, and
// a uTP dial to it would wait out its connect timeout in a dial slot.
func (e *Engine) dialPeer(ctx context.Context, ih [20]byte, addr string) (pendingConn, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.HandshakeTimeout)
	defer cancel()
	transport := transportOf(addr)
	pc, err := e.dialStream(ctx, ih, addr)
	var df *dialFailed
	if err != nil && transport == "tcp" && e.cfg.DialUTP != nil && !errors.As(err, &df) &&
		!errors.Is(err, errSelf) && !errors.Is(err, errWrongTorrent) && ctx.Err() == nil {
		e.cfg.Logger.Debug("TCP failed; dialling uTP", "addr", addr, "err", err)
		transport = "utp"
		pc, err = e.dialStream(ctx, ih, UTPAddr(addr))
	}
	if err != nil {
		if errors.Is(err, errSelf) {
			return pendingConn{}, err
		}
		return pendingConn{}, fmt.Errorf("%s: %w", addr, err)
	}
	pc.addr, pc.transport, pc.outgoing, pc.initiator = addr, transport, true, true
	return pc, nil
}

// dialStream dials addr once, or twice when the Encryption policy allows
// both: over TCP plain first and MSE when the peer closes the plain
// handshake; over uTP MSE first and plain when the peer closes that.
// (Clients that require encryption close a plain TCP handshake at once,
// but over uTP libtorrent leaves it unanswered until the timeout, and a
// client taking only uTP may well require encryption.)
func (e *Engine) dialStream(ctx context.Context, ih [20]byte, addr string) (pendingConn, error) {
	transport := transportOf(addr)
	if !encryptable(transport) {
		return e.dialOnce(ctx, ih, addr, false)
	}
	encrypt := e.cfg.Encryption == EncryptionRequired || (e.cfg.Encryption == EncryptionEnabled && transport == "utp")
	pc, err := e.dialOnce(ctx, ih, addr, encrypt)
	if err != nil && e.cfg.Encryption == EncryptionEnabled && closedEarly(err) {
		e.cfg.Logger.Debug("handshake closed; dialling again", "addr", addr, "encrypted", !encrypt)
		pc, err = e.dialOnce(ctx, ih, addr, !encrypt)
	}
	return pc, err
}

// dialOnce dials addr and runs the handshake, plain or inside MSE.
func (e *Engine) dialOnce(ctx context.Context, ih [20]byte, addr string, encrypt bool) (pendingConn, error) {
	c, err := e.dial(ctx, addr)
	if err != nil {
		return pendingConn{}, &dialFailed{err}
	}
	if !encrypt {
		return e.handshakeConn(c, ih)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	ours := e.handshake(ih)
	sc, method, err := mse.Initiate(c, ih, e.cfg.Encryption.allowed(), ours.Append(nil))
	if err != nil {
		_ = c.Close()
		return pendingConn{}, fmt.Errorf("%w: %w", errMSEFailed, err)
	}
	e.cfg.Logger.Debug("outgoing MSE", "addr", addr, "method", method)
	return e.readTheirs(sc, ih)
}

// transportOf names the transport an address is dialled over.
func transportOf(addr string) string {
	switch {
	case IsSignalURL(addr):
		return "websocket" // a ws:// peer URL: the peer wire inside WebSocket messages
	case isUTP(addr):
		return "utp"
	}
	return "tcp"
}

var errSelf = errors.New("connected to ourselves")

func (e *Engine) torrent(ih [20]byte) *Torrent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.torrents[ih]
}

// Torrent returns an active torrent.
func (e *Engine) Torrent(ih [20]byte) (*Torrent, bool) {
	t := e.torrent(ih)
	return t, t != nil
}

// Torrents lists active torrents.
func (e *Engine) Torrents() []*Torrent {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Torrent, 0, len(e.torrents))
	for _, t := range e.torrents {
		out = append(out, t)
	}
	return out
}

func (e *Engine) forget(t *Torrent) {
	e.mu.Lock()
	if e.torrents[t.ih] == t {
		delete(e.torrents, t.ih)
	}
	e.mu.Unlock()
}

// Close stops accepting, stops every torrent without serializing and waits.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	ls := e.listeners
	ts := make([]*Torrent, 0, len(e.torrents))
	for _, t := range e.torrents {
		ts = append(ts, t)
	}
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
	e.clock.close()
	return nil
}
