// Connected peers: admitting a handshaken connection, handing it to the
// session, and dropping it.

package engine

import (
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/session"
)

func (t *Torrent) onConnected(pc pendingConn, now time.Time) {
	id := t.nextID + 1
	v := t.book.Connected(peers.Conn{
		ID: peers.ConnID(id), Addr: pc.addr, PeerID: pc.hs.PeerID,
		Outgoing: pc.outgoing, Initiator: pc.initiator,
	}, t.e.cfg.MaxConns-int(t.e.conns.Load()), now)
	if !v.Accept {
		t.e.cfg.Logger.Debug("connection refused", "addr", pc.addr, "reason", v.Reason,
			"peers", len(t.peers), "state", t.State())
		_ = pc.conn.Close()
		return
	}
	if old := t.peers[session.PeerID(v.Old)]; v.Replaces && old != nil {
		if v.Evicts {
			t.e.cfg.Logger.Debug("full: closing the lowest-ranked connection (BEP 40)", "old", old.addr, "new", pc.addr)
		} else {
			t.e.cfg.Logger.Debug("replacing duplicate connection", "old", old.addr, "new", pc.addr)
		}
		t.dropPeer(old)
		t.phase.RemovePeer(old, now)
	}
	t.nextID = id
	p := newPeerConn(t, id, pc)
	t.peers[p.id] = p
	t.numPeers.Store(int64(len(t.peers)))
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

// dropPeer closes a connection; the book schedules its address's next
// dial as after a lost connection (see peers.Lost) unless told otherwise
// first.
func (t *Torrent) dropPeer(p *peerConn) {
	if _, ok := t.peers[p.id]; !ok {
		return
	}
	t.book.Closed(peers.ConnID(p.id), peers.Lost, t.e.clock.Now())
	t.pexOut.Forget(int(p.id))
	if t.hp != nil {
		t.hp.PeerGone(int(p.id))
	}
	delete(t.peers, p.id)
	t.numPeers.Store(int64(len(t.peers)))
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
