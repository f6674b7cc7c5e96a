package peers

import (
	"bytes"
	"time"
)

// Conn is a handshaken connection asking to join the torrent.
type Conn struct {
	ID     ConnID
	Addr   string
	PeerID [20]byte // from the peer's handshake
	// Outgoing: it answers one of Dials' addresses, whose dial it ends.
	Outgoing bool
	// Initiator: our side opened it (we dialled, or made the WebRTC offer).
	Initiator bool
}

// Verdict is Connected's answer.
type Verdict struct {
	// Accept: keep the connection; the book counts it until Closed.
	Accept bool
	// Replaces: the connection replaces Old, an earlier connection to the
	// same peer, which the caller closes. The book has forgotten Old.
	Replaces bool
	Old      ConnID
	// Evicts: Old is not the same peer but the lowest-ranked connection
	// (BEP 40), closed to make room for c when the book is full.
	Evicts bool
	// Reason says why a connection was refused: ErrHalted, ErrSelf,
	// ErrBanned, ErrDuplicate or ErrFull.
	Reason error
}

// Connected decides whether connection c joins the torrent. room is what
// the caller's own limits allow (the engine's connections left); the book
// adds its bans, MaxPeers (open connections only: an outgoing c's dial
// was counted already) and the duplicate rules:
//
//   - A second connection to a peer id already connected is refused,
//     unless the two differ in who initiated them and the new one is the
//     one the lower peer id initiated: it then replaces the old one. Two
//     peers that dial each other at once meet twice and each sees the two
//     connections in its own order; "keep the first" could close both,
//     this keeps the same one on both sides. (Over WebRTC both have the
//     same address, so this also decides same-address pairs.)
//   - Otherwise a second connection from an address already connected is
//     refused.
//
// An accepted connection clears its address's dial failures.
func (b *Book) Connected(c Conn, room int, now time.Time) Verdict {
	if c.Outgoing {
		b.dialDone()
	}
	switch {
	case b.halted:
		return Verdict{Reason: ErrHalted}
	case c.PeerID == b.cfg.Self:
		return Verdict{Reason: ErrSelf}
	case b.banned[HostOf(c.Addr)]:
		return Verdict{Reason: ErrBanned}
	}
	var v Verdict
	if old, ok := b.byPeer[c.PeerID]; ok {
		o := b.conns[old]
		weLower := bytes.Compare(b.cfg.Self[:], c.PeerID[:]) < 0
		if o.initiator == c.Initiator || c.Initiator != weLower {
			return Verdict{Reason: ErrDuplicate}
		}
		v.Replaces, v.Old = true, old
	} else if _, ok := b.byAddr[c.Addr]; ok {
		return Verdict{Reason: ErrDuplicate}
	}
	// A replacement never adds a connection; nor does an eviction.
	if !v.Replaces && (len(b.conns) >= b.cfg.MaxPeers || room <= 0) {
		victim, ok := b.evictionFor(c.Addr)
		if !ok {
			return Verdict{Reason: ErrFull}
		}
		v.Replaces, v.Evicts, v.Old = true, true, victim
	}
	if v.Evicts {
		// Full before and full after: the evicted peer need not be
		// dialled again soon.
		if cand, ok := b.cands[b.conns[v.Old].addr]; ok {
			cand.due = now.Add(maxWait)
		}
	}
	if v.Replaces {
		b.forget(v.Old)
	}
	if cand, ok := b.cands[c.Addr]; ok {
		cand.fails = 0
	}
	b.conns[c.ID] = &conn{addr: c.Addr, peer: c.PeerID, initiator: c.Initiator}
	b.conns[c.ID].prio, b.conns[c.ID].ranked = b.priorityOf(c.Addr)
	b.byAddr[c.Addr] = c.ID
	b.byPeer[c.PeerID] = c.ID
	v.Accept = true
	return v
}

// End says how a connection ended.
type End uint8

// Ends of connections.
const (
	// Lost: the connection failed or was closed for a fault. Its address,
	// if a candidate, is dialled again after 10 s, doubling with each loss
	// in a row (at most 5 minutes); an unnamed one is forgotten after 5.
	// A connection that lasted 5 minutes starts the count afresh.
	Lost End = iota
	// BothSeeds: neither side needed the other. Its address waits 30
	// minutes.
	BothSeeds
)

// Closed records the end of connection id (unknown ids are ignored: a
// connection refused, or replaced, or already closed) and schedules the
// next dial of its address.
func (b *Book) Closed(id ConnID, end End, now time.Time) {
	cn, ok := b.conns[id]
	if !ok {
		return
	}
	b.forget(id)
	c, ok := b.cands[cn.addr]
	if !ok {
		return
	}
	if end == BothSeeds {
		c.due, c.seedWait = now.Add(bothSeedsWait), true
		return
	}
	c.seedWait = false
	if now.Sub(c.dialed) >= maxWait {
		c.closes = 0 // a long-lived connection ended: start the back-off afresh
	}
	c.closes++
	if c.closes > maxFails && !c.named {
		delete(b.cands, cn.addr)
		return
	}
	c.due = now.Add(min(closedWait<<min(c.closes-1, 8), maxWait))
}

// forget removes connection id from the book.
func (b *Book) forget(id ConnID) {
	cn := b.conns[id]
	delete(b.conns, id)
	if b.byAddr[cn.addr] == id {
		delete(b.byAddr, cn.addr)
	}
	if b.byPeer[cn.peer] == id {
		delete(b.byPeer, cn.peer)
	}
}
