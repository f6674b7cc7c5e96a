package engine

import (
	"context"
	"crypto/sha1"
	"net"
	"sync"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/webseed"
)

// A web seed (BEP 19) joins the session as a peer: one end of an in-memory
// pipe is an ordinary peer connection, and on the other end a small adapter
// speaks the peer wire, answering requests with HTTP range fetches. The
// session's picking, timeouts, endgame and smart banning then apply to web
// seeds unchanged; a seed serving bad data is banned like any peer.
// It runs from startSession, once the info dictionary is known.
func (t *Torrent) startWebSeeds() {
	for _, u := range t.spec.URLList {
		c, err := webseed.New(u, t.info, t.e.cfg.WebSeedOptions)
		if err != nil {
			t.e.cfg.Logger.Debug("web seed", "url", u, "err", err)
			continue
		}
		t.webSeeds.add(c)
		ours, theirs := net.Pipe()
		var hs wire.Handshake
		hs.SetFast()
		hs.PeerID = sha1.Sum([]byte("webseed " + u))
		a := &webSeedAdapter{t: t, c: c, conn: theirs, numPieces: t.info.NumPieces()}
		go a.run(t.e.ctx)
		t.onConnected(pendingConn{conn: ours, addr: u, transport: webseed.Name, hs: hs}, t.e.clock.Now())
	}
}

// webSeedList is a torrent's web seed Clients, for stats.
type webSeedList struct {
	mu      sync.Mutex
	clients []*webseed.Client
}

func (l *webSeedList) add(c *webseed.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clients = append(l.clients, c)
}

// WebSeeds reports the state of each web seed: working, backing off after
// a failure, or disabled (the server lacks the files, lies about their
// length, or served bad pieces), with the reason.
func (t *Torrent) WebSeeds() []webseed.Status {
	t.webSeeds.mu.Lock()
	defer t.webSeeds.mu.Unlock()
	now := t.e.clock.Now()
	out := make([]webseed.Status, len(t.webSeeds.clients))
	for i, c := range t.webSeeds.clients {
		out[i] = c.Status(now)
	}
	return out
}

// maxNextChoices bounds the distinct pending pieces the Client chooses
// among (the session keeps at most a few hundred blocks requested).
const maxNextChoices = 512

type webSeedAdapter struct {
	t         *Torrent
	c         *webseed.Client
	conn      net.Conn
	numPieces int

	mu      sync.Mutex
	pending []wire.Message // requests not yet served
	wake    chan struct{}
	wmu     sync.Mutex // serialises writes to conn
}

func (a *webSeedAdapter) write(m *wire.Message) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	_ = a.conn.SetWriteDeadline(wallDeadline(writeTimeout))
	_, err := a.conn.Write(wire.AppendMessage(nil, m))
	return err
}

func (a *webSeedAdapter) run(ctx context.Context) {
	defer a.conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.wake = make(chan struct{}, 1)
	if a.write(&wire.Message{Type: wire.HaveAll}) != nil || a.write(&wire.Message{Type: wire.Unchoke}) != nil {
		return
	}
	go a.serve(ctx)
	lim := wire.DefaultLimits(a.numPieces)
	var buf []byte
	for {
		m, b, err := wire.ReadMessage(a.conn, buf, lim)
		buf = b
		if err != nil {
			return
		}
		switch m.Type {
		case wire.Request:
			a.mu.Lock()
			if len(a.pending) < 2048 {
				a.pending = append(a.pending, wire.Message{Type: wire.Request, Index: m.Index, Begin: m.Begin, Length: m.Length})
			}
			a.mu.Unlock()
			select {
			case a.wake <- struct{}{}:
			default:
			}
		case wire.Cancel:
			a.mu.Lock()
			for i, r := range a.pending {
				if r.Index == m.Index && r.Begin == m.Begin && r.Length == m.Length {
					a.pending = append(a.pending[:i], a.pending[i+1:]...)
					break
				}
			}
			a.mu.Unlock()
		}
	}
}

// serve fetches one piece at a time and answers every pending request
// that piece covers. Requests for the last piece fetched are answered from
// it; otherwise the Client picks among the pending pieces (the oldest, or
// the order a server ignoring Range reads its files in). A disabled
// Client ends the peer: the session then stops asking it.
func (a *webSeedAdapter) serve(ctx context.Context) {
	defer a.conn.Close()
	defer a.c.Close() // its kept files and open body go with the peer
	var data []byte
	lastPiece := -1
	var wanted []int
	seen := map[int]bool{}
	for {
		piece := -1
		a.mu.Lock()
		wanted = wanted[:0]
		clear(seen)
		for _, r := range a.pending {
			p := int(r.Index)
			if p == lastPiece {
				piece = p
				break
			}
			if !seen[p] && len(wanted) < maxNextChoices {
				seen[p] = true
				wanted = append(wanted, p)
			}
		}
		a.mu.Unlock()
		if piece < 0 && len(wanted) > 0 {
			piece = wanted[a.c.Next(wanted)]
		}
		if piece < 0 {
			select {
			case <-ctx.Done():
				return
			case <-a.wake:
			case <-time.After(keepAliveEvery):
				// Our side drops silent peers; an idle web seed says it
				// lives, and lets go of kept files and an open body.
				a.c.Close()
				if a.write(&wire.Message{KeepAlive: true}) != nil {
					return
				}
			}
			continue
		}
		for !a.c.Usable(a.t.e.clock.Now()) {
			if a.c.Disabled() {
				a.t.e.cfg.Logger.Info("web seed dropped", "url", a.c.URL(), "reason", a.c.Status(a.t.e.clock.Now()).Reason)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		// Requests for a piece often trickle in after its fetch began:
		// they are answered from the last piece instead of fetching it again.
		var err error
		if piece != lastPiece {
			data, err = a.c.FetchPiece(ctx, piece, data)
			lastPiece = piece
			if err != nil {
				lastPiece = -1
			}
		}
		a.mu.Lock()
		var answer []wire.Message
		rest := a.pending[:0]
		for _, r := range a.pending {
			if int(r.Index) == piece {
				answer = append(answer, r)
			} else {
				rest = append(rest, r)
			}
		}
		a.pending = rest
		a.mu.Unlock()
		for _, r := range answer {
			m := wire.Message{Type: wire.Reject, Index: r.Index, Begin: r.Begin, Length: r.Length}
			if err == nil && int(r.Begin)+int(r.Length) <= len(data) {
				m = wire.Message{Type: wire.Piece, Index: r.Index, Begin: r.Begin, Block: data[r.Begin : r.Begin+r.Length]}
			}
			if a.write(&m) != nil {
				return
			}
		}
		if err != nil {
			a.t.e.cfg.Logger.Debug("web seed fetch", "url", a.c.URL(), "piece", piece, "err", err)
		}
	}
}
