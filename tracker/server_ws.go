//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package tracker

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"nhooyr.io/websocket"

	"github.com/braid-bt/braid/tracker/wsproto"
)

// WSConfig bounds the WebSocket signalling (WebTorrent) side of a Server;
// zero values take the defaults. WebRTC peers form swarms of their own,
// separate from the HTTP/UDP ones; they share MaxSwarms and
// MaxPeersPerSwarm from ServerConfig.
type WSConfig struct {
	MaxConns         int           // open sockets; default 10,000
	MaxPeersPerConn  int           // (torrent, peer id) entries one socket may hold; default 100
	IdleTimeout      time.Duration // close a socket silent this long; default 3×Interval, at least 30 s
	WriteTimeout     time.Duration // per frame; default 10 s
	SendQueue        int           // frames queued per socket before relays to it are dropped; default 64
	MessageRate      float64       // frames per second a socket may send; default 20
	MessageBurst     int           // default 100
	OfferRate        float64       // offers per second a socket may have relayed; default 5
	OfferBurst       int           // default 50
	MaxPendingOffers int           // relayed offers a socket may still answer; default 256
}

func (c *WSConfig) fill(interval time.Duration) {
	if c.MaxConns <= 0 {
		c.MaxConns = 10_000
	}
	if c.MaxPeersPerConn <= 0 {
		c.MaxPeersPerConn = 100
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = max(3*interval, 30*time.Second)
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 64
	}
	if c.MessageRate <= 0 {
		c.MessageRate = 20
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = 100
	}
	if c.OfferRate <= 0 {
		c.OfferRate = 5
	}
	if c.OfferBurst <= 0 {
		c.OfferBurst = 50
	}
	if c.MaxPendingOffers <= 0 {
		c.MaxPendingOffers = 256
	}
}

// WebSocketURL turns the tracker's HTTP announce URL into the ws:// URL
// WebTorrent peers announce to (the same port serves both).
func WebSocketURL(httpURL string) string {
	if rest, ok := strings.CutPrefix(httpURL, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(httpURL, "http://"); ok {
		return "ws://" + rest
	}
	return httpURL
}

// isWebSocketUpgrade tells a WebSocket handshake from an HTTP announce.
func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header.Get("Connection"), "upgrade")
}

func headerHasToken(v, token string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// CloseWebSockets closes every signalling socket; http.Server.Shutdown
// does not wait for hijacked connections, so ListenAndServe calls this.
func (s *Server) CloseWebSockets() { s.ws.closeAll() }

// serveWS runs one signalling socket: a read loop here, a writer goroutine
// draining the socket's bounded queue, and the shared swarm table behind
// the hub's lock. Paths "/" and "/announce" are both served, like
// bittorrent-tracker.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	h := s.ws
	if r.URL.Path != "/" && r.URL.Path != "/announce" {
		http.NotFound(w, r)
		return
	}
	if !h.acquire() {
		http.Error(w, "too many connections", http.StatusServiceUnavailable)
		return
	}
	defer h.release()
	// Any origin: WebTorrent pages run on every site, and the tracker
	// holds nothing a cross-site request could abuse.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	c.SetReadLimit(wsproto.MaxMessageSize)
	ctx, cancel := context.WithCancel(h.ctx)
	wc := h.newConn(cancel)
	written := make(chan struct{})
	defer func() {
		cancel()
		h.drop(wc)
		// The writer finishes its frame first: the close frame must not
		// race a write (the library tears the socket down under one).
		<-written
		if reason := h.violation(wc); reason != "" {
			_ = c.Close(websocket.StatusPolicyViolation, reason)
		}
		_ = c.CloseNow()
	}()
	go func() {
		defer close(written)
		h.writeLoop(ctx, c, wc)
	}()
	for {
		rctx, rcancel := context.WithTimeout(ctx, h.cfg.IdleTimeout)
		_, b, err := c.Read(rctx)
		rcancel()
		if err != nil {
			return
		}
		if !h.handle(wc, b) {
			return
		}
	}
}

// writeLoop sends queued frames until the socket's context ends; a failed
// or slow write ends the socket. Each write has its own deadline, not one
// derived from ctx: ending ctx mid-frame would make the library drop the
// TCP connection, and the policy close that follows would never be sent.
func (h *wsHub) writeLoop(ctx context.Context, c *websocket.Conn, wc *wsConn) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-wc.out:
			wctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
			err := c.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				wc.cancel()
				return
			}
		}
	}
}

// connCount caps open sockets.
type connCount struct {
	n, limit atomic.Int64
}

func (c *connCount) acquire() bool {
	if c.n.Add(1) > c.limit.Load() {
		c.n.Add(-1)
		return false
	}
	return true
}

func (c *connCount) release() { c.n.Add(-1) }
