package tracker

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// swarm holds the peers of one torrent. Peers live in a slice (for cheap
// random sampling) indexed by address (one entry per IP:port, so a peer can
// only replace or remove its own entry).
type swarm struct {
	peers     []swarmPeer
	index     map[netip.AddrPort]int
	seeders   int
	completed int
	lastSweep time.Time
}

type swarmPeer struct {
	addr    netip.AddrPort
	id      [20]byte
	seeder  bool
	expires time.Time
}

func newSwarm(now time.Time) *swarm {
	return &swarm{index: make(map[netip.AddrPort]int), lastSweep: now}
}

func (s *swarm) leechers() int { return len(s.peers) - s.seeders }

// upsert adds or refreshes a peer; it reports false when the swarm is full
// and the peer is new.
func (s *swarm) upsert(p swarmPeer, limit int) bool {
	if i, ok := s.index[p.addr]; ok {
		if s.peers[i].seeder {
			s.seeders--
		}
		s.peers[i] = p
	} else {
		if len(s.peers) >= limit {
			return false
		}
		s.index[p.addr] = len(s.peers)
		s.peers = append(s.peers, p)
	}
	if p.seeder {
		s.seeders++
	}
	return true
}

func (s *swarm) remove(addr netip.AddrPort) {
	i, ok := s.index[addr]
	if !ok {
		return
	}
	if s.peers[i].seeder {
		s.seeders--
	}
	last := len(s.peers) - 1
	if i != last {
		s.peers[i] = s.peers[last]
		s.index[s.peers[i].addr] = i
	}
	s.peers[last] = swarmPeer{}
	s.peers = s.peers[:last]
	delete(s.index, addr)
}

// sweep drops peers whose announce has expired.
func (s *swarm) sweep(now time.Time) {
	s.lastSweep = now
	for i := 0; i < len(s.peers); {
		if now.Before(s.peers[i].expires) {
			i++
			continue
		}
		s.remove(s.peers[i].addr) // moves the last entry to i
	}
}

// family selects which peers a reply may carry.
type family int

const (
	familyAny family = iota
	family4
	family6
)

func (f family) allows(a netip.Addr) bool {
	switch f {
	case family4:
		return a.Is4()
	case family6:
		return a.Is6()
	}
	return true
}

// sample returns up to n peers from a random starting point, never the
// requester (same address or same peer id).
func (s *swarm) sample(n int, self netip.AddrPort, selfID [20]byte, f family, rng *rand.Rand) []swarmPeer {
	if n <= 0 || len(s.peers) == 0 {
		return nil
	}
	out := make([]swarmPeer, 0, min(n, len(s.peers)))
	start := rng.IntN(len(s.peers))
	for k := 0; k < len(s.peers) && len(out) < n; k++ {
		p := s.peers[(start+k)%len(s.peers)]
		if p.addr == self || p.id == selfID || !f.allows(p.addr.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}
