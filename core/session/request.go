package session

import (
	"math"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// endgameQueue bounds a peer's outstanding requests in endgame, when every
// new request duplicates one already sent to another peer.
const endgameQueue = 2

// urgentCopies bounds the second copies of blocks a reader waits for
// (PickUrgent) requested from a peer in one refill, above its target.
const urgentCopies = 4

// queueTime is how much of a peer's recent rate we keep requested. Slow
// servers (Transmission answers in batches) need several seconds' worth
// or the pipe drains between their bursts and the rate never climbs.
const queueTime = 3

// target is the request pipeline depth for p: queueTime seconds of its
// recent download rate plus two blocks, so the link never idles for a
// round trip, within MinQueue..min(MaxQueue, its reqq).
func (s *Session) target(p *peer) int {
	t := int(queueTime*p.down.value/wire.BlockSize) + 2
	return min(max(t, s.cfg.MinQueue), s.queueLimit(p))
}

// queueLimit is the most requests p may have outstanding: MaxQueue, or
// fewer if its reqq says so.
func (s *Session) queueLimit(p *peer) int {
	rq := p.reqq
	if rq <= 0 {
		rq = DefaultPeerReqQ
	}
	return min(s.cfg.MaxQueue, rq)
}

// refillBatch is how far below its target a busy pipeline may fall before
// fill tops it up: a quarter of the target, at most 16 blocks. Requesting one
// block per block received costs a message per block (in the browser a
// JavaScript call and a WebSocket or data-channel send each); a batch keeps
// the pipe at least three quarters full for the price of one.
func refillBatch(target int) int {
	return min(target/4, 16)
}

// fill tops up p's request pipeline. Called after every received block so
// the pipe stays full between ticks.
func (s *Session) fill(p *peer, now time.Time) {
	if s.stopped || p.gone || !p.amInterested {
		return
	}
	var has *bitfield.Bitfield
	switch {
	case !p.peerChoking:
		has = p.has
	case p.fastHas != nil && !p.fastHas.None():
		has = p.fastHas // BEP 6: allowed-fast pieces may be requested while choked
	default:
		return
	}
	n := s.target(p)
	switch {
	case s.pk.Endgame():
		// Only duplicates are left: a few per peer, so whoever is fastest
		// takes over slow blocks without flooding the swarm with copies.
		n = min(n, endgameQueue)
	case p.snubbed:
		n = 1 // a probe, so a peer that recovers can prove it
	}
	if len(p.reqs) > 0 && n-len(p.reqs) < refillBatch(n) {
		return
	}
	n -= len(p.reqs)
	room := s.globalRoom()
	n = min(n, room)
	if n <= 0 {
		return
	}
	if len(s.parole) > 0 {
		has = s.paroleMask(p, has)
	}
	s.picks = s.pk.Pick(has, n, p.skip, s.picks[:0])
	s.writeZeroFills()
	fresh := len(s.picks)
	dup := s.pk.Endgame()
	if !dup && !p.snubbed {
		// Beyond the target (within the peer's limit): blocks a stream
		// is waiting for, asked of one other peer so far, get a second
		// copy from this one.
		spare := min(s.queueLimit(p)-len(p.reqs), room) - fresh
		s.picks = s.pk.PickUrgent(has, min(urgentCopies, spare), p.skip, s.picks)
	}
	if len(s.picks) == 0 {
		return
	}
	if len(s.parole) > 0 {
		s.claimParole(p, s.picks)
	}
	// Endgame only changes inside Pick when fresh blocks run out, and then
	// Pick may add blocks already requested from others, as PickUrgent
	// does: remember those so the first copy to arrive cancels the rest.
	for i, b := range s.picks {
		p.reqs = append(p.reqs, request{b: b, at: now})
		if dup || i >= fresh {
			s.endgame[b] = struct{}{}
		}
		s.sendBlockMsg(p, wire.Request, b)
	}
	if p.waitingSince.IsZero() && !p.peerChoking {
		p.waitingSince = now
	}
}

// globalRoom is how many more requests Config.MaxOutstanding allows
// (unbounded without it).
func (s *Session) globalRoom() int {
	if s.cfg.MaxOutstanding <= 0 {
		return math.MaxInt
	}
	n := s.cfg.MaxOutstanding
	for _, q := range s.order {
		n -= len(q.reqs)
	}
	return n
}

func (s *Session) refillAll(now time.Time) {
	for _, p := range s.order {
		s.fill(p, now)
	}
}

// onChoked: without BEP 6 a choke discards every request; with it the peer
// rejects what it will not serve, and allowed-fast requests continue.
func (s *Session) onChoked(p *peer, now time.Time) {
	if p.peerChoking {
		return
	}
	p.peerChoking = true
	p.waitingSince = time.Time{}
	if !p.info.Fast {
		for _, r := range p.reqs {
			s.pk.Unrequest(r.b)
			p.gaveUp(r.b, now)
		}
		p.reqs = p.reqs[:0]
		return
	}
	s.fill(p, now)
}

// onPiece handles a received block: the hot path of downloading.
func (s *Session) onPiece(p *peer, m *wire.Message, now time.Time) error {
	n := len(m.Block)
	if uint64(m.Index) >= uint64(s.numPieces) ||
		uint64(m.Begin)+uint64(n) > uint64(s.info.PieceSize(int(m.Index))) {
		return protoErr("piece %d begin %d length %d outside the torrent", m.Index, m.Begin, n)
	}
	s.downloaded += int64(n)
	s.down.add(n)
	p.downloaded += int64(n)
	p.down.add(n)
	b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: n}
	late := false
	if i := p.findRequest(b); i >= 0 {
		p.removeRequest(i)
		p.snubbed = false
		if len(p.reqs) > 0 {
			p.waitingSince = now
		} else {
			p.waitingSince = time.Time{}
		}
	} else if !s.stopped && p.takeLate(b) {
		late = true // we gave up on it, but it is welcome if still needed
	} else {
		s.wasted += int64(n) // cancelled by us, or never asked for
		return nil
	}
	done, wanted := s.pk.Received(b)
	if !wanted {
		s.wasted += int64(n)
		s.fill(p, now)
		return nil
	}
	// Others may hold the same request: endgame duplicates, or a block
	// given up on here and asked of someone else since.
	dup := late
	if len(s.endgame) > 0 {
		if _, ok := s.endgame[b]; ok {
			delete(s.endgame, b)
			dup = true
		}
	}
	if dup {
		s.cancelDuplicates(p, b, now)
	}
	s.out.WriteBlock(b.Piece, b.Begin, m.Block)
	s.record(p, b, m.Block)
	if done {
		s.hashing.Set(b.Piece)
		s.out.HashPiece(b.Piece)
	}
	s.fill(p, now)
	return nil
}

// cancelDuplicates withdraws b, just received, from every other peer it
// was requested from, and gives those peers other work.
func (s *Session) cancelDuplicates(from *peer, b picker.Block, now time.Time) {
	for _, q := range s.order {
		if q == from {
			continue
		}
		if j := q.findRequest(b); j >= 0 {
			q.removeRequest(j)
			s.sendBlockMsg(q, wire.Cancel, b)
			s.fill(q, now)
		}
	}
}

// expire cancels p's requests older than RequestTimeout and marks p snubbed
// when it has kept us waiting SnubTimeout while unchoking us.
func (s *Session) expire(p *peer, now time.Time) {
	k := 0
	for k < len(p.reqs) && now.Sub(p.reqs[k].at) >= s.cfg.RequestTimeout {
		r := p.reqs[k]
		s.pk.Unrequest(r.b)
		s.sendBlockMsg(p, wire.Cancel, r.b)
		p.gaveUp(r.b, now)
		k++
	}
	if k > 0 {
		p.reqs = p.reqs[:copy(p.reqs, p.reqs[k:])]
	}
	// A block later than two timeouts is not coming.
	k = 0
	for k < len(p.late) && now.Sub(p.late[k].at) >= 2*s.cfg.RequestTimeout {
		k++
	}
	if k > 0 {
		p.late = p.late[:copy(p.late, p.late[k:])]
	}
	if !p.peerChoking && !p.waitingSince.IsZero() && now.Sub(p.waitingSince) >= s.cfg.SnubTimeout {
		p.snubbed = true
	}
}
