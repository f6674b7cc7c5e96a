package tracker

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/braid-bt/braid/tracker/wsproto"
)

// wsHub is the signalling side of a Server: WebRTC swarms keyed by info
// hash, each peer bound to the socket that announced it. One mutex guards
// the swarms and every socket's bookkeeping; sockets never block it (their
// outgoing frames go through bounded queues).
type wsHub struct {
	cfg      WSConfig
	interval time.Duration
	maxSw    int
	maxPeers int
	now      func() time.Time
	conns    connCount

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	swarms map[wsproto.ID]*wsSwarm
	rng    *rand.Rand
}

func newWSHub(cfg ServerConfig) *wsHub {
	wc := cfg.WebSocket
	wc.fill(cfg.Interval)
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	ctx, cancel := context.WithCancel(context.Background())
	h := &wsHub{
		cfg: wc, interval: cfg.Interval, maxSw: cfg.MaxSwarms, maxPeers: cfg.MaxPeersPerSwarm,
		now: cfg.Now, ctx: ctx, cancel: cancel,
		swarms: make(map[wsproto.ID]*wsSwarm),
		rng:    rand.New(rand.NewChaCha8(seed)),
	}
	h.conns.limit.Store(int64(wc.MaxConns))
	return h
}

func (h *wsHub) acquire() bool { return h.conns.acquire() }
func (h *wsHub) release()      { h.conns.release() }
func (h *wsHub) closeAll()     { h.cancel() }

// wsKey names one peer entry: a peer id in a torrent's swarm.
type wsKey struct{ infoHash, peerID wsproto.ID }

// pendingOffer is an offer relayed to a socket, which that socket may
// answer once.
type pendingOffer struct {
	infoHash, from wsproto.ID
}

// wsConn is one socket's state. All fields but out and cancel are guarded
// by wsHub.mu.
type wsConn struct {
	out    chan []byte
	cancel context.CancelFunc

	peers        map[wsKey]struct{}
	pending      map[wsproto.ID]pendingOffer
	pendingOrder []wsproto.ID
	msgs, offers tokenBucket
	// violation, when set, closes the socket with this policy reason.
	violation string
}

func (h *wsHub) newConn(cancel context.CancelFunc) *wsConn {
	now := h.now()
	return &wsConn{
		out:     make(chan []byte, h.cfg.SendQueue),
		cancel:  cancel,
		peers:   make(map[wsKey]struct{}),
		pending: make(map[wsproto.ID]pendingOffer),
		msgs:    newTokenBucket(h.cfg.MessageRate, h.cfg.MessageBurst, now),
		offers:  newTokenBucket(h.cfg.OfferRate, h.cfg.OfferBurst, now),
	}
}

// send queues a frame without blocking; a full queue drops it (the peer
// is too slow to keep up with signalling, and WebTorrent retries).
func (c *wsConn) send(b []byte) bool {
	select {
	case c.out <- b:
		return true
	default:
		return false
	}
}

func (h *wsHub) violation(c *wsConn) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return c.violation
}

// wsPeer is one peer in a WebRTC swarm.
type wsPeer struct {
	id     wsproto.ID
	conn   *wsConn
	seeder bool
}

// wsSwarm keeps its peers in a slice (random picks in O(1)) indexed by
// peer id.
type wsSwarm struct {
	list       []*wsPeer
	index      map[wsproto.ID]int
	seeders    int
	downloaded int
}

func newWSSwarm() *wsSwarm { return &wsSwarm{index: make(map[wsproto.ID]int)} }

func (s *wsSwarm) get(id wsproto.ID) *wsPeer {
	if i, ok := s.index[id]; ok {
		return s.list[i]
	}
	return nil
}

func (s *wsSwarm) add(p *wsPeer) {
	s.index[p.id] = len(s.list)
	s.list = append(s.list, p)
	if p.seeder {
		s.seeders++
	}
}

func (s *wsSwarm) remove(id wsproto.ID) {
	i, ok := s.index[id]
	if !ok {
		return
	}
	if s.list[i].seeder {
		s.seeders--
	}
	last := len(s.list) - 1
	s.list[i] = s.list[last]
	s.index[s.list[i].id] = i
	s.list[last] = nil
	s.list = s.list[:last]
	delete(s.index, id)
}

func (s *wsSwarm) leechers() int { return len(s.list) - s.seeders }

// pick returns up to n random peers other than self.
func (s *wsSwarm) pick(n int, self wsproto.ID, rng *rand.Rand) []*wsPeer {
	if n <= 0 || len(s.list) == 0 {
		return nil
	}
	out := make([]*wsPeer, 0, min(n, len(s.list)))
	if len(s.list) <= 4*n {
		for _, i := range rng.Perm(len(s.list)) {
			if p := s.list[i]; p.id != self {
				out = append(out, p)
				if len(out) == n {
					break
				}
			}
		}
		return out
	}
	seen := make(map[int]bool, 2*n)
	for tries := 0; tries < 4*n && len(out) < n; tries++ {
		i := rng.IntN(len(s.list))
		if seen[i] || s.list[i].id == self {
			continue
		}
		seen[i] = true
		out = append(out, s.list[i])
	}
	return out
}

// drop forgets a closed socket: its peers leave every swarm.
func (h *wsHub) drop(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k := range c.peers {
		h.removePeer(c, k)
	}
}

func (h *wsHub) removePeer(c *wsConn, k wsKey) {
	delete(c.peers, k)
	sw := h.swarms[k.infoHash]
	if sw == nil {
		return
	}
	if p := sw.get(k.peerID); p != nil && p.conn == c {
		sw.remove(k.peerID)
	}
	if len(sw.list) == 0 {
		delete(h.swarms, k.infoHash)
	}
}

// tokenBucket is a per-socket rate limit.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends n tokens if there are enough.
func (b *tokenBucket) take(n float64, now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// wsFailure is a failure reply that keeps the socket open.
type wsFailure struct {
	infoHash wsproto.ID
	action   string
	reason   string
}

func (f *wsFailure) Error() string { return f.reason }

func failf(m *wsproto.Message, format string, args ...any) *wsFailure {
	f := &wsFailure{reason: fmt.Sprintf(format, args...)}
	if m != nil {
		f.infoHash, f.action = m.InfoHash, m.Action
	}
	return f
}
