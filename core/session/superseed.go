package session

import "github.com/braid-bt/braid/core/wire"

// Super-seeding (BEP 16): a seed that hides what it has and offers each
// peer one rare piece at a time, offering the next only once the last is
// out there, so that what it uploads spreads through the swarm instead of
// being fetched from it again. Meant for an initial seeder with little
// upload. As in libtorrent's default (non-strict) mode, a peer is offered
// a new piece when it announces the one it was offered, or when another
// peer announces it.

// superSeedSlots is how many pieces a peer is offered at once: two, as
// libtorrent does, so a peer finishing one still has the other to fetch
// during the round trip that offers the next.
const superSeedSlots = 2

// SetSuperSeed turns super-seeding on or off. It applies while every
// piece is verified and to connections made from then on; peers already
// told our bitfield keep knowing it. Turning it off tells each peer
// offered pieces the rest with Have messages.
func (s *Session) SetSuperSeed(on bool) {
	if on == s.superSeed {
		return
	}
	s.superSeed = on
	if on {
		return
	}
	for _, p := range s.order {
		if !p.superSeeded {
			continue
		}
		s.withdrawAll(p)
		p.superSeeded = false
		for i := range s.numPieces {
			if s.have.Has(i) && !p.has.Has(i) {
				s.sendIndex(p, wire.Have, i)
			}
		}
		if p.info.Extended && s.ourExt != nil && s.uploadOnly {
			// It was not told upload_only (see extFor); now it may be.
			s.msg = wire.Message{Type: wire.Extended, ExtID: 0, Payload: s.extFor(p)}
			s.out.Send(p.id, &s.msg)
		}
	}
}

// SuperSeed reports whether super-seeding is on (it acts only while
// complete).
func (s *Session) SuperSeed() bool { return s.superSeed }

// superSeeding reports whether new peers are to be super-seeded now.
func (s *Session) superSeeding() bool {
	return s.superSeed && s.numPieces > 0 && s.have.All()
}

// greetSuperSeeded starts p as a super-seeded peer: it is told we have
// nothing (HaveNone, when it speaks BEP 6) and offered its first pieces,
// at once unless it speaks BEP 6: such a peer first says what it has
// (setHas, HaveNone), so we do not offer what it holds.
func (s *Session) greetSuperSeeded(p *peer) {
	if s.offers == nil {
		s.offers = make([]int32, s.numPieces)
	}
	p.superSeeded = true
	p.offered = [superSeedSlots]int{-1, -1}
	if p.info.Fast {
		s.send(p, wire.HaveNone)
		return
	}
	s.offerPieces(p, -1)
}

// offerPieces fills p's empty or spent slots with new pieces: an offer
// is spent once p has the piece, or when it is piece seen (announced by
// another peer; -1 for none).
func (s *Session) offerPieces(p *peer, seen int) {
	for k := range p.offered {
		if i := p.offered[k]; i >= 0 && i != seen && !p.has.Has(i) {
			continue // still to be fetched
		}
		s.withdraw(p, k)
		if i, ok := s.pieceToOffer(p, seen); ok {
			p.offered[k] = i
			s.offers[i]++
			s.sendIndex(p, wire.Have, i)
		}
	}
}

// pieceToOffer picks the piece to offer p: one it lacks, not offered to
// it already nor the piece just seen elsewhere (it can fetch that from
// there), preferring pieces offered to no other peer, then the rarest,
// then the lowest index.
func (s *Session) pieceToOffer(p *peer, seen int) (int, bool) {
	best, bestTaken, bestAvail := -1, false, 0
	for i := range s.numPieces {
		if p.has.Has(i) || p.offered[0] == i || p.offered[1] == i || i == seen {
			continue
		}
		taken, avail := s.offers[i] > 0, s.pk.Availability(i)
		if best < 0 || (!taken && bestTaken) || (taken == bestTaken && avail < bestAvail) {
			best, bestTaken, bestAvail = i, taken, avail
			if !taken && avail == 0 {
				break // cannot do better
			}
		}
	}
	return best, best >= 0
}

// superSeedSaw updates the offers after peer p announced piece i: p, or
// a peer offered i, has spread it, and is offered another.
func (s *Session) superSeedSaw(p *peer, i int) {
	if !s.superSeed {
		return
	}
	for _, q := range s.order {
		if q.superSeeded && (q == p || q.offered[0] == i || q.offered[1] == i) {
			s.offerPieces(q, i)
		}
	}
}

// withdraw empties p's slot k.
func (s *Session) withdraw(p *peer, k int) {
	if i := p.offered[k]; i >= 0 {
		s.offers[i]--
		p.offered[k] = -1
	}
}

// withdrawAll empties p's slots: it is gone, or super-seeding ended.
func (s *Session) withdrawAll(p *peer) {
	if !p.superSeeded {
		return
	}
	for k := range p.offered {
		s.withdraw(p, k)
	}
}
