package session

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// request is one block we asked a peer for.
type request struct {
	b  picker.Block
	at time.Time
}

// peer is the session's view of one connection.
type peer struct {
	id          PeerID
	info        PeerInfo
	host        string
	connectedAt time.Time
	gone        bool

	has     *bitfield.Bitfield
	allowed *bitfield.Bitfield // BEP 6 allowed-fast pieces it granted us; nil if none
	fastHas *bitfield.Bitfield // allowed ∩ has: what we may request while choked
	fastSet *bitfield.Bitfield // BEP 6 allowed-fast pieces we granted it; nil if none
	// announced is set once the peer said what it has (Bitfield, HaveAll,
	// HaveNone); started once a message arrived after which it may not.
	announced, started bool

	amChoking, amInterested     bool
	peerChoking, peerInterested bool
	regular                     bool // holds a regular unchoke slot
	unchokedAt                  time.Time

	reqs         []request // outstanding, oldest first
	late         []request // given up (choke, timeout) but may still arrive; oldest first
	waitingSince time.Time // waiting for a block since; zero when not waiting
	snubbed      bool
	uploadOnly   bool // it said BEP 21 upload_only: it wants nothing
	wantCount    int  // pieces it has that we want and lack

	// superSeeded: we greeted it super-seeding (BEP 16) and offer it the
	// pieces in offered (-1: none) one Have at a time.
	superSeeded bool
	offered     [superSeedSlots]int

	reqq   int // its BEP 10 reqq; 0 when unknown
	client string
	ext    *wire.ExtHandshake

	down, up             rate
	downloaded, uploaded int64
	skip                 func(picker.Block) bool // hasRequest as a method value, made once
}

func (p *peer) findRequest(b picker.Block) int {
	for i := range p.reqs {
		if p.reqs[i].b == b {
			return i
		}
	}
	return -1
}

func (p *peer) hasRequest(b picker.Block) bool { return p.findRequest(b) >= 0 }

// requestsIn reports whether p has a request outstanding in piece i.
func (p *peer) requestsIn(i int) bool {
	for k := range p.reqs {
		if p.reqs[k].b.Piece == i {
			return true
		}
	}
	return false
}

// removeRequest drops p's request i; a peer left with none is no longer
// keeping us waiting (an endgame duplicate another peer served, a reject).
func (p *peer) removeRequest(i int) {
	p.reqs = p.reqs[:i+copy(p.reqs[i:], p.reqs[i+1:])]
	if len(p.reqs) == 0 {
		p.waitingSince = time.Time{}
	}
}

// maxLate bounds the requests remembered after giving up on them.
const maxLate = 512

// gaveUp remembers a request dropped without the peer's word, so the
// block is still accepted if the peer sends it after all.
func (p *peer) gaveUp(b picker.Block, now time.Time) {
	if len(p.late) >= maxLate {
		p.late = p.late[:copy(p.late, p.late[maxLate/2:])]
	}
	p.late = append(p.late, request{b: b, at: now})
}

// takeLate reports whether b was given up on, and forgets it.
func (p *peer) takeLate(b picker.Block) bool {
	for i := range p.late {
		if p.late[i].b == b {
			p.late = p.late[:i+copy(p.late[i:], p.late[i+1:])]
			return true
		}
	}
	return false
}

// wantsUploads reports whether p is interested in our pieces; a peer that
// said upload_only does not count even if it says interested.
func (p *peer) wantsUploads() bool { return p.peerInterested && !p.uploadOnly }

func (p *peer) seed() bool { return p.has.Len() > 0 && p.has.All() }

// hostOf strips the port from "host:port" or "[v6]:port" so a ban covers
// every connection from that address. Anything else is used whole.
func hostOf(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.IndexByte(addr, ']'); i > 0 {
			return addr[1:i]
		}
		return addr
	}
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && strings.Count(addr, ":") == 1 {
		return addr[:i]
	}
	return addr
}

// AddPeer registers a handshaken connection and greets it: our BEP 10
// handshake if both sides speak BEP 10, then what we have (Bitfield, or
// HaveAll/HaveNone when both speak BEP 6; nothing when we have nothing and
// it does not). Peers from banned addresses are closed at once. Re-adding a
// live id replaces the old connection.
func (s *Session) AddPeer(id PeerID, pi PeerInfo, now time.Time) {
	s.touch(now)
	host := hostOf(pi.Addr)
	if host == "" {
		host = fmt.Sprintf("\x00peer %d", id) // no address: judge the connection alone
	}
	if h := s.hosts[host]; h != nil && h.banned {
		s.out.ClosePeer(id, ErrBanned)
		return
	}
	if old := s.peers[id]; old != nil {
		s.forget(old, now)
	}
	p := &peer{
		id: id, info: pi, host: host, connectedAt: now,
		has:       bitfield.New(s.numPieces),
		amChoking: true, peerChoking: true,
		down: rate{last: now}, up: rate{last: now},
	}
	p.skip = p.hasRequest
	s.peers[id] = p
	s.order = append(s.order, p)

	p.superSeeded = s.superSeeding()
	if pi.Extended && s.extBytes != nil {
		s.msg = wire.Message{Type: wire.Extended, ExtID: 0, Payload: s.extFor(p)}
		s.out.Send(id, &s.msg)
	}
	switch {
	case p.superSeeded:
		s.greetSuperSeeded(p)
	case pi.Fast && s.have.All() && s.numPieces > 0:
		s.send(p, wire.HaveAll)
	case pi.Fast && s.have.None():
		s.send(p, wire.HaveNone)
	case !s.have.None():
		s.msg = wire.Message{Type: wire.Bitfield, Bitfield: s.have.Bytes()}
		s.out.Send(id, &s.msg)
	}
}

// RemovePeer forgets a connection that is gone. Unknown ids are ignored.
func (s *Session) RemovePeer(id PeerID, now time.Time) {
	s.touch(now)
	if p := s.peers[id]; p != nil {
		s.forget(p, now)
		s.fillSlots(now)
	}
}

// forget drops every trace of p except its contributions to pieces in
// progress, which still count when they are hashed.
func (s *Session) forget(p *peer, now time.Time) {
	if p.gone {
		return
	}
	p.gone = true
	s.withdrawAll(p)
	delete(s.peers, p.id)
	if i := slices.Index(s.order, p); i >= 0 {
		s.order = slices.Delete(s.order, i, i+1)
	}
	for _, r := range p.reqs {
		s.pk.Unrequest(r.b)
	}
	p.reqs, p.late = nil, nil
	if !p.has.None() {
		s.pk.PeerLeft(p.has)
	}
	if s.optimistic == p {
		s.optimistic = nil
	}
	// Its requests may now go to others.
	if len(s.order) > 0 {
		s.refillAll(now)
	}
}

// drop forgets p and tells the engine to close it.
func (s *Session) drop(p *peer, reason error, now time.Time) {
	if p.gone {
		return
	}
	s.forget(p, now)
	s.out.ClosePeer(p.id, reason)
}

// dropDoomed closes the peers collected in s.doomed; loops over s.order
// collect instead of closing so the slice does not change under them.
func (s *Session) dropDoomed(now time.Time) {
	for i := 0; i < len(s.doomed); i++ {
		s.drop(s.doomed[i].p, s.doomed[i].err, now)
		s.doomed[i] = doomedPeer{}
	}
	s.doomed = s.doomed[:0]
	s.fillSlots(now)
}
