package session

import (
	"cmp"
	"slices"
	"time"
)

// seedRotation is how many choke rounds a peer keeps a regular slot while
// we seed before peers that waited go ahead of it.
const seedRotation = 3

// newPeerRounds: peers connected for less than this many optimistic
// intervals are three times as likely to get the optimistic unchoke, so
// newcomers get a first piece to trade quickly (BEP 3).
const newPeerRounds = 3

// candidate reports whether p may hold a regular unchoke slot.
func (s *Session) candidate(p *peer, seeding bool) bool {
	return p.wantsUploads() && (seeding || !p.snubbed)
}

// better orders regular-slot candidates: while downloading, by how fast
// they upload to us (tit-for-tat); while seeding, by how fast we upload to
// them, with peers that held a slot for seedRotation rounds behind the rest
// so every interested peer gets its turn. Ties keep peers already unchoked.
func (s *Session) better(a, b *peer, seeding bool, now time.Time) int {
	if seeding {
		la, lb := s.longUnchoked(a, now), s.longUnchoked(b, now)
		if la != lb {
			if lb {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.up.value, a.up.value); c != 0 {
			return c
		}
	} else if c := cmp.Compare(b.down.value, a.down.value); c != 0 {
		return c
	}
	if a.amChoking != b.amChoking {
		if !a.amChoking {
			return -1
		}
		return 1
	}
	return 0
}

func (s *Session) longUnchoked(p *peer, now time.Time) bool {
	return !p.amChoking && p.regular && now.Sub(p.unchokedAt) >= seedRotation*s.cfg.ChokeInterval
}

// chokeRound re-assigns the regular slots, and with rotate the optimistic
// unchoke. At most UploadSlots regular peers plus one optimistic peer are
// ever unchoked.
func (s *Session) chokeRound(now time.Time, rotate bool) {
	if s.stopped {
		return
	}
	seeding := s.pk.Done()
	cands := s.cands[:0]
	for _, p := range s.order {
		if s.candidate(p, seeding) {
			cands = append(cands, p)
		}
	}
	slices.SortStableFunc(cands, func(a, b *peer) int { return s.better(a, b, seeding, now) })
	for _, p := range s.order {
		p.regular = false
	}
	for i := 0; i < len(cands) && i < s.cfg.UploadSlots; i++ {
		cands[i].regular = true
	}
	clear(cands)
	s.cands = cands[:0]
	if o := s.optimistic; o != nil && (o.regular || !o.wantsUploads()) {
		s.optimistic = nil
	}
	if rotate || s.optimistic == nil {
		s.pickOptimistic(now)
	}
	// Choke first so the limit holds at every moment.
	for _, p := range s.order {
		if !p.regular && p != s.optimistic {
			s.choke(p)
		}
	}
	for _, p := range s.order {
		if p.regular || p == s.optimistic {
			s.unchoke(p, now)
		}
	}
}

// pickOptimistic chooses a new optimistic unchoke among interested peers
// without a regular slot, new peers weighted three to one. The current one
// is kept only if nobody else qualifies.
func (s *Session) pickOptimistic(now time.Time) {
	cur := s.optimistic
	total := 0
	for _, p := range s.order {
		if p.wantsUploads() && !p.regular && p != cur {
			total += s.optimisticWeight(p, now)
		}
	}
	if total == 0 {
		if cur != nil && (!cur.wantsUploads() || cur.regular) {
			s.optimistic = nil
		}
		return
	}
	r := s.cfg.Rand.IntN(total)
	for _, p := range s.order {
		if p.wantsUploads() && !p.regular && p != cur {
			if r -= s.optimisticWeight(p, now); r < 0 {
				s.optimistic = p
				break
			}
		}
	}
	if cur != nil && cur != s.optimistic && !cur.regular {
		s.choke(cur)
	}
}

func (s *Session) optimisticWeight(p *peer, now time.Time) int {
	if now.Sub(p.connectedAt) < newPeerRounds*s.cfg.OptimisticInterval {
		return 3
	}
	return 1
}

// fillSlots unchokes interested peers at once while regular slots are free
// or there is no optimistic unchoke, so a new downloader (or a seed's first
// peer) does not wait for the next round.
func (s *Session) fillSlots(now time.Time) {
	if s.stopped {
		return
	}
	seeding := s.pk.Done()
	used := 0
	for _, p := range s.order {
		if p.regular {
			used++
		}
	}
	for used < s.cfg.UploadSlots {
		var best *peer
		for _, p := range s.order {
			if p.regular || p == s.optimistic || !s.candidate(p, seeding) {
				continue
			}
			if best == nil || s.better(p, best, seeding, now) < 0 {
				best = p
			}
		}
		if best == nil {
			break
		}
		best.regular = true
		s.unchoke(best, now)
		used++
	}
	if s.optimistic == nil {
		s.pickOptimistic(now)
		if s.optimistic != nil {
			s.unchoke(s.optimistic, now)
		}
	}
}
