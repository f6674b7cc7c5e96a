// Connected peers: admitting a handshaken connection, handing it to the
// session, and dropping it.

package engine

import (
	"time"

	"github.com/braid-bt/braid/core/session"
)

func (t *Torrent) onConnected(pc pendingConn, now time.Time) {
	if pc.outgoing {
		t.dialing--
	}
	host := hostOf(pc.addr)
	_, dup := t.byAddr[pc.addr]
	if id, same := t.byID[pc.hs.PeerID]; same {
		// Two peers that connect to each other at once meet twice. Each
		// side sees the two connections in its own order, so "keep the
		// first" could close both; keeping the one the lower peer id
		// initiated makes both sides keep the same one. (Over WebRTC both
		// have the same address, so this also decides same-address pairs.)
		dup = false
		if old := t.peers[id]; old != nil && old.initiator != pc.initiator && pc.initiator == t.weDialLower(pc.hs.PeerID) {
			t.e.cfg.Logger.Debug("replacing duplicate connection", "old", old.addr, "new", pc.addr)
			t.dropPeer(old)
			t.phase.RemovePeer(old, now)
		} else {
			dup = true
		}
	}
	if t.stopping || dup || t.banned[host] || len(t.peers) >= t.e.cfg.MaxPeersPerTorrent ||
		t.e.conns.Load() >= int64(t.e.cfg.MaxConns) || t.State() == StateError {
		t.e.cfg.Logger.Debug("connection refused", "addr", pc.addr, "stopping", t.stopping, "duplicate", dup,
			"banned", t.banned[host], "peers", len(t.peers), "state", t.State())
		_ = pc.conn.Close()
		return
	}
	if c, ok := t.candidates[pc.addr]; ok {
		c.fails = 0
	}
	t.nextID++
	p := newPeerConn(t, t.nextID, pc)
	t.peers[p.id] = p
	t.numPeers.Store(int64(len(t.peers)))
	t.byAddr[p.addr] = p.id
	t.idsMu.Lock()
	t.byID[pc.hs.PeerID] = p.id
	t.idsMu.Unlock()
	t.e.conns.Add(1)
	p.start()
	t.phase.AddPeer(p, now)
	t.sendPort(p) // after the bitfield, which must come first
}

// addToSession hands a connected peer to the session.
func (t *Torrent) addToSession(p *peerConn, now time.Time) {
	ours := t.e.handshake(t.ih)
	t.sess.AddPeer(p.id, session.PeerInfo{
		Addr: p.addr, ID: p.hs.PeerID,
		Fast:      p.hs.SupportsFast() && ours.SupportsFast(),
		Extended:  p.hs.SupportsExtended() && ours.SupportsExtended(),
		Outgoing:  p.outgoing,
		Transport: p.transport,
	}, now)
}

// connectedTo reports whether a peer with this id is connected, by any
// transport. Safe from any goroutine.
func (t *Torrent) connectedTo(id [20]byte) bool {
	t.idsMu.RLock()
	defer t.idsMu.RUnlock()
	_, ok := t.byID[id]
	return ok
}

func (t *Torrent) dropPeer(p *peerConn) {
	if _, ok := t.peers[p.id]; !ok {
		return
	}
	t.pexOut.Forget(int(p.id))
	delete(t.peers, p.id)
	t.numPeers.Store(int64(len(t.peers)))
	if t.byAddr[p.addr] == p.id {
		delete(t.byAddr, p.addr)
	}
	if t.byID[p.hs.PeerID] == p.id {
		t.idsMu.Lock()
		delete(t.byID, p.hs.PeerID)
		t.idsMu.Unlock()
	}
	t.e.conns.Add(-1)
	p.close()
}

func (t *Torrent) closeAllPeers() {
	now := t.e.clock.Now()
	for _, p := range t.peers {
		t.dropPeer(p)
		t.phase.RemovePeer(p, now)
	}
}
