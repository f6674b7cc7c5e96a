//go:build !js

//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package websocket

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"nhooyr.io/websocket"

	"github.com/braid-bt/braid/transport"
)

// Handshake bounds for a Listener; see ListenConfig.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxPending       = 256
	DefaultMaxPendingPerIP  = 8
)

// ListenConfig bounds the HTTP upgrade phase, where a peer costs memory
// before the engine's own limits see it. Zero fields take the defaults.
type ListenConfig struct {
	// HandshakeTimeout bounds the time from TCP accept until Accept returns
	// the connection; slower clients are dropped.
	HandshakeTimeout time.Duration
	// MaxPending bounds connections not yet upgraded and accepted; beyond
	// it new TCP connections are closed at once.
	MaxPending int
	// MaxPendingPerIP bounds the same for one remote IP, so one host
	// cannot take every slot; an honest browser upgrades at once.
	MaxPendingPerIP int
}

// Listener is an HTTP server whose every path upgrades to a WebSocket peer
// connection. Browser pages from any origin may connect (a public peer has
// no origin to trust), and compression is off (piece data does not shrink).
type Listener struct {
	cfg   ListenConfig
	tcp   net.Listener
	srv   *http.Server
	url   string
	conns chan upgraded

	closed    chan struct{}
	closeOnce sync.Once
	serveDone chan struct{}
	handlers  sync.WaitGroup

	mu        sync.Mutex
	shut      bool
	pending   map[*pendingConn]struct{}
	pendingIP map[netip.Addr]int
}

// upgraded is a connection on its way from the HTTP handler to Accept.
type upgraded struct {
	c *conn
	p *pendingConn
}

// Listen serves WebSocket peers on addr ("host:port"; port 0 picks one)
// with the default limits.
func Listen(addr string) (*Listener, error) {
	return ListenConfig{}.Listen(addr)
}

// Listen serves WebSocket peers on addr with these limits.
func (cfg ListenConfig) Listen(addr string) (*Listener, error) {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxPendingPerIP <= 0 {
		cfg.MaxPendingPerIP = DefaultMaxPendingPerIP
	}
	tl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("websocket: listen on %s: %w", addr, err)
	}
	l := &Listener{
		cfg:       cfg,
		tcp:       tl,
		url:       listenURL(tl.Addr()),
		conns:     make(chan upgraded),
		closed:    make(chan struct{}),
		serveDone: make(chan struct{}),
		pending:   make(map[*pendingConn]struct{}),
		pendingIP: make(map[netip.Addr]int),
	}
	l.srv = &http.Server{
		Handler:           http.HandlerFunc(l.upgrade),
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HandshakeTimeout,
		WriteTimeout:      cfg.HandshakeTimeout,
		IdleTimeout:       cfg.HandshakeTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, pendingKey{}, c)
		},
	}
	go func() {
		defer close(l.serveDone)
		_ = l.srv.Serve(gate{l})
	}()
	return l, nil
}

// listenURL is the URL a local client dials; an unspecified listen address
// is reached through loopback.
func listenURL(a net.Addr) string {
	host, port := "127.0.0.1", "0"
	if ta, ok := a.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		if !ta.IP.IsUnspecified() {
			host = ta.IP.String()
		}
	}
	return "ws://" + net.JoinHostPort(host, port) + "/"
}

// A Listener is a transport.Acceptor.
var _ transport.Acceptor = (*Listener)(nil)

// Name is "websocket".
func (*Listener) Name() string { return Name }

// Traits: none (no MSE inside WebSocket messages).
func (*Listener) Traits() transport.Traits { return transport.Traits{} }

// URL is the ws:// URL of this listener, e.g. "ws://127.0.0.1:6882/".
func (l *Listener) URL() string { return l.url }

// Addr is the TCP address listened on.
func (l *Listener) Addr() net.Addr { return l.tcp.Addr() }

// Accept waits for the next upgraded peer connection. Its RemoteAddr is the
// TCP "ip:port" of the peer. After Close it returns net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		select {
		case <-l.closed:
			return nil, fmt.Errorf("websocket: accept: %w", net.ErrClosed)
		default:
		}
		select {
		case u := <-l.conns:
			if u.p.accept() {
				return u.c, nil
			}
			_ = u.c.Close()
		case <-l.closed:
			return nil, fmt.Errorf("websocket: accept: %w", net.ErrClosed)
		}
	}
}

// Close stops the server, drops connections still upgrading, unblocks
// Accept, and returns once the server's goroutines are gone. Connections
// already returned by Accept stay open.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.shut = true
		pend := make([]*pendingConn, 0, len(l.pending))
		for p := range l.pending {
			pend = append(pend, p)
		}
		l.mu.Unlock()
		close(l.closed)
		err = l.srv.Close()
		for _, p := range pend {
			_ = p.Close()
		}
		<-l.serveDone
		l.handlers.Wait()
	})
	return err
}

// upgrade is the HTTP handler: any path, any origin.
func (l *Listener) upgrade(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	if l.shut {
		l.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	l.handlers.Add(1)
	l.mu.Unlock()
	defer l.handlers.Done()

	p, _ := r.Context().Value(pendingKey{}).(*pendingConn)
	if p == nil {
		http.Error(w, "no connection", http.StatusInternalServerError)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	// The server's read and write deadlines stay on a hijacked conn.
	_ = p.Conn.SetDeadline(time.Time{})
	c := newConn(ws, p.LocalAddr(), p.RemoteAddr())
	select {
	case l.conns <- upgraded{c: c, p: p}:
	case <-p.expired:
		_ = c.Close()
	case <-l.closed:
		_ = c.Close()
	}
}

type pendingKey struct{}

// gate admits TCP connections to the HTTP server while fewer than
// MaxPending are upgrading, and starts each one's handshake clock.
type gate struct{ l *Listener }

func (g gate) Accept() (net.Conn, error) {
	for {
		c, err := g.l.tcp.Accept()
		if err != nil {
			return nil, err
		}
		if p := g.l.admit(c); p != nil {
			return p, nil
		}
	}
}

func (g gate) Close() error   { return g.l.tcp.Close() }
func (g gate) Addr() net.Addr { return g.l.tcp.Addr() }

func (l *Listener) admit(c net.Conn) *pendingConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	ip := remoteIP(c)
	if l.shut || len(l.pending) >= l.cfg.MaxPending || l.pendingIP[ip] >= l.cfg.MaxPendingPerIP {
		_ = c.Close()
		return nil
	}
	p := &pendingConn{Conn: c, l: l, ip: ip, expired: make(chan struct{})}
	p.timer = time.AfterFunc(l.cfg.HandshakeTimeout, p.expire)
	l.pending[p] = struct{}{}
	l.pendingIP[ip]++
	return p
}

// remoteIP is the peer's IP (IPv4-mapped addresses unmapped, so one host
// counts once).
func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// pendingConn is a TCP connection between accept and Accept. It holds one
// of MaxPending slots until Accept takes it or it closes or expires.
type pendingConn struct {
	net.Conn
	l       *Listener
	ip      netip.Addr
	timer   *time.Timer
	expired chan struct{}
	done    bool // guarded by l.mu: accepted, expired or closed
}

// leave gives up the slot; it reports false if that already happened.
func (p *pendingConn) leave() bool {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	if p.done {
		return false
	}
	p.done = true
	delete(p.l.pending, p)
	if p.l.pendingIP[p.ip]--; p.l.pendingIP[p.ip] <= 0 {
		delete(p.l.pendingIP, p.ip)
	}
	p.timer.Stop()
	return true
}

func (p *pendingConn) accept() bool { return p.leave() }

func (p *pendingConn) expire() {
	if p.leave() {
		close(p.expired)
		_ = p.Conn.Close()
	}
}

func (p *pendingConn) Close() error {
	p.leave()
	return p.Conn.Close()
}
