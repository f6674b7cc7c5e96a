//go:build !js

package dht

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	peer_store "github.com/anacrolix/dht/v2/peer-store"
)

// Limits of what other nodes may make us remember. The library's own store
// grows without bound and keeps one peer per IP; this one keeps one entry
// per IP and port, evicts the stalest, and forgets after peerTTL.
const (
	maxStoredInfoHashes = 2000
	maxPeersPerInfoHash = 100
	maxPeersPerReply    = 50 // 50 compact peers keep a reply well under 1 KiB
	peerTTL             = 30 * time.Minute
)

// peerStore holds the peers others announced to us, answering get_peers.
type peerStore struct {
	mu     sync.Mutex
	now    func() time.Time
	rand   *rand.Rand
	hashes map[[20]byte]*storedSwarm
	total  int
}

type storedSwarm struct {
	peers   map[netip.AddrPort]time.Time // when last announced
	updated time.Time
}

var _ peer_store.Interface = (*peerStore)(nil)

func newPeerStore(now func() time.Time, r *rand.Rand) *peerStore {
	return &peerStore{now: now, rand: r, hashes: make(map[[20]byte]*storedSwarm)}
}

// AddPeer records an announce_peer that carried a valid token.
func (ps *peerStore) AddPeer(ih peer_store.InfoHash, na krpc.NodeAddr) {
	ap, ok := addrPortFromIP(na.IP, na.Port)
	if !ok || !usableNodeAddr(ap) {
		return
	}
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	sw := ps.hashes[ih]
	if sw == nil {
		if len(ps.hashes) >= maxStoredInfoHashes {
			ps.expireLocked(now)
		}
		if len(ps.hashes) >= maxStoredInfoHashes {
			ps.dropStalestSwarmLocked()
		}
		sw = &storedSwarm{peers: make(map[netip.AddrPort]time.Time)}
		ps.hashes[ih] = sw
	}
	if _, have := sw.peers[ap]; !have {
		if len(sw.peers) >= maxPeersPerInfoHash {
			ps.dropStalestPeerLocked(sw)
		}
		ps.total++
	}
	sw.peers[ap] = now
	sw.updated = now
}

// GetPeers answers get_peers with up to maxPeersPerReply random live peers.
func (ps *peerStore) GetPeers(ih peer_store.InfoHash) []krpc.NodeAddr {
	aps := ps.peers(ih, maxPeersPerReply)
	out := make([]krpc.NodeAddr, 0, len(aps))
	for _, ap := range aps {
		out = append(out, krpc.NodeAddr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port())})
	}
	return out
}

// peers returns up to limit live peers for ih in random order.
func (ps *peerStore) peers(ih [20]byte, limit int) []netip.AddrPort {
	now := ps.now()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	sw := ps.hashes[ih]
	if sw == nil {
		return nil
	}
	out := make([]netip.AddrPort, 0, min(limit, len(sw.peers)))
	for ap, at := range sw.peers {
		if now.Sub(at) > peerTTL {
			delete(sw.peers, ap)
			ps.total--
			continue
		}
		out = append(out, ap)
	}
	if len(sw.peers) == 0 {
		delete(ps.hashes, ih)
	}
	ps.rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// counts reports how many info hashes and peers are held.
func (ps *peerStore) counts() (hashes, peers int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.hashes), ps.total
}

func (ps *peerStore) expireLocked(now time.Time) {
	for ih, sw := range ps.hashes {
		for ap, at := range sw.peers {
			if now.Sub(at) > peerTTL {
				delete(sw.peers, ap)
				ps.total--
			}
		}
		if len(sw.peers) == 0 {
			delete(ps.hashes, ih)
		}
	}
}

func (ps *peerStore) dropStalestSwarmLocked() {
	var stalest [20]byte
	var at time.Time
	first := true
	for ih, sw := range ps.hashes {
		if first || sw.updated.Before(at) {
			stalest, at, first = ih, sw.updated, false
		}
	}
	if !first {
		ps.total -= len(ps.hashes[stalest].peers)
		delete(ps.hashes, stalest)
	}
}

func (ps *peerStore) dropStalestPeerLocked(sw *storedSwarm) {
	var stalest netip.AddrPort
	var at time.Time
	first := true
	for ap, t := range sw.peers {
		if first || t.Before(at) {
			stalest, at, first = ap, t, false
		}
	}
	if !first {
		delete(sw.peers, stalest)
		ps.total--
	}
}

// addrPortFromIP converts a library address, refusing malformed IPs.
func addrPortFromIP(ip net.IP, port int) (netip.AddrPort, bool) {
	if port <= 0 || port > 65535 {
		return netip.AddrPort{}, false
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), true
}
