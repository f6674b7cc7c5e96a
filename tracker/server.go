package tracker

import (
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Errors the server reports to clients as failure reasons.
var (
	ErrSwarmFull     = errors.New("swarm is full")
	ErrTooManySwarms = errors.New("tracker is full")
	ErrBadRequest    = errors.New("bad announce")
)

// ServerConfig tunes a Server; zero values take the defaults.
type ServerConfig struct {
	Interval         time.Duration // re-announce interval given to clients; default 60 s
	MinInterval      time.Duration // "min interval" for HTTP clients; 0 sends none
	MaxPeersReply    int           // peers per reply; default 50
	MaxPeersPerSwarm int           // default 100,000
	MaxSwarms        int           // default 10,000
	// TrustIPParam lets a client name its address (HTTP "ip" parameter,
	// UDP IP field) instead of the packet's source address. Only for local
	// setups where the tracker sees a proxy or NAT address.
	TrustIPParam bool
	// Now is the clock (tests inject a fake one); default time.Now.
	Now func() time.Time
	// Secret keys the UDP connection ids; random when empty.
	Secret []byte
	// WebSocket bounds the WebTorrent signalling served on the HTTP port.
	WebSocket WSConfig
}

// Server is an in-memory tracker: HTTP (ServeHTTP), UDP (ServeUDP) and
// WebTorrent WebSocket signalling (upgrades on the HTTP port).
// Peers expire 2×Interval after their last announce.
type Server struct {
	cfg    ServerConfig
	secret []byte

	mu        sync.Mutex
	swarms    map[[20]byte]*swarm
	lastSweep time.Time
	rng       *rand.Rand

	ws *wsHub // WebSocket signalling, its own swarms and lock
}

// NewServer makes a server with cfg's defaults filled in.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Interval <= 0 {
		cfg.Interval = 60 * time.Second
	}
	if cfg.MaxPeersReply <= 0 {
		cfg.MaxPeersReply = 50
	}
	if cfg.MaxPeersPerSwarm <= 0 {
		cfg.MaxPeersPerSwarm = 100_000
	}
	if cfg.MaxSwarms <= 0 {
		cfg.MaxSwarms = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = crand.Read(secret)
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	return &Server{
		ws:        newWSHub(cfg),
		cfg:       cfg,
		secret:    secret,
		swarms:    make(map[[20]byte]*swarm),
		lastSweep: cfg.Now(),
		rng:       rand.New(rand.NewChaCha8(seed)),
	}
}

// announceResult is the protocol-neutral answer to an announce.
type announceResult struct {
	Interval          time.Duration
	Seeders, Leechers int
	Peers             []swarmPeer
}

// announce records req from addr and picks peers for it.
func (s *Server) announce(req *AnnounceRequest, addr netip.AddrPort, f family) (announceResult, error) {
	res := announceResult{Interval: s.cfg.Interval}
	if req.Port == 0 || !addr.IsValid() {
		return res, fmt.Errorf("%w: port 0", ErrBadRequest)
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maybeSweepAll(now)
	sw := s.swarms[req.InfoHash]
	if sw == nil {
		if req.Event == EventStopped {
			return res, nil
		}
		if len(s.swarms) >= s.cfg.MaxSwarms {
			s.sweepAll(now)
			if len(s.swarms) >= s.cfg.MaxSwarms {
				return res, ErrTooManySwarms
			}
		}
		sw = newSwarm(now)
		s.swarms[req.InfoHash] = sw
	} else if now.Sub(sw.lastSweep) >= s.cfg.Interval/4 {
		sw.sweep(now)
	}
	if req.Event == EventStopped {
		sw.remove(addr)
	} else {
		p := swarmPeer{addr: addr, id: req.PeerID, seeder: req.Left == 0, expires: now.Add(2 * s.cfg.Interval)}
		if !sw.upsert(p, s.cfg.MaxPeersPerSwarm) {
			sw.sweep(now)
			if !sw.upsert(p, s.cfg.MaxPeersPerSwarm) {
				return res, ErrSwarmFull
			}
		}
		if req.Event == EventCompleted {
			sw.completed++
		}
		n := s.cfg.MaxPeersReply
		if req.NumWant > 0 {
			n = min(n, req.NumWant)
		}
		res.Peers = sw.sample(n, addr, req.PeerID, f, s.rng)
	}
	res.Seeders, res.Leechers = sw.seeders, sw.leechers()
	return res, nil
}

// scrape returns the counters of each torrent (zeros when unknown).
func (s *Server) scrape(hashes [][20]byte) []ScrapeResult {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ScrapeResult, len(hashes))
	for i, h := range hashes {
		sw := s.swarms[h]
		if sw == nil {
			continue
		}
		if now.Sub(sw.lastSweep) >= s.cfg.Interval/4 {
			sw.sweep(now)
		}
		out[i] = ScrapeResult{Seeders: sw.seeders, Completed: sw.completed, Leechers: sw.leechers()}
	}
	return out
}

// maybeSweepAll expires peers everywhere once per Interval and forgets
// empty swarms, so memory follows the live peers.
func (s *Server) maybeSweepAll(now time.Time) {
	if now.Sub(s.lastSweep) >= s.cfg.Interval {
		s.sweepAll(now)
	}
}

func (s *Server) sweepAll(now time.Time) {
	s.lastSweep = now
	for h, sw := range s.swarms {
		sw.sweep(now)
		if len(sw.peers) == 0 {
			delete(s.swarms, h)
		}
	}
}

// connectionID binds a UDP connection id to the client's IP and a
// one-minute time bucket; ids from the current and previous bucket are
// accepted, so an id lives 60 to 120 s.
func (s *Server) connectionID(ip netip.Addr, bucket int64) uint64 {
	m := hmac.New(sha256.New, s.secret)
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:], uint64(bucket))
	a := ip.Unmap().As16()
	copy(b[8:], a[:])
	m.Write(b[:])
	return binary.BigEndian.Uint64(m.Sum(nil))
}

func (s *Server) newConnectionID(ip netip.Addr) uint64 {
	return s.connectionID(ip, s.cfg.Now().Unix()/60)
}

func (s *Server) validConnectionID(ip netip.Addr, id uint64) bool {
	b := s.cfg.Now().Unix() / 60
	return id == s.connectionID(ip, b) || id == s.connectionID(ip, b-1)
}
