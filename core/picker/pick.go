package picker

import "github.com/braid-bt/braid/core/bitfield"

// Pick appends up to max blocks the peer has to dst and marks them
// requested. Order: blocks of pieces in progress (higher priority first) so
// they finish and can be shared; then new pieces by priority, rarest first
// (random until a few pieces are verified); then, in endgame, blocks already
// requested from other peers, which skip (may be nil) can veto, e.g. those
// this peer already has outstanding. Pick does not allocate when dst has
// room for max more blocks.
func (p *Picker) Pick(has *bitfield.Bitfield, max int, skip func(Block) bool, dst []Block) []Block {
	if has == nil || max <= 0 || p.wantedMissing == 0 {
		return dst
	}
	start := len(dst)
	limit := start + max
	for pr := PriorityNow; pr > PriorityNone && len(dst) < limit; pr-- {
		for i := p.open[pr].head; i >= 0 && len(dst) < limit; {
			next := p.pieces[i].next
			if has.Has(int(i)) {
				dst = p.takeFresh(i, limit, dst)
			}
			i = next
		}
	}
	if len(dst) < limit {
		if p.sequential {
			dst = p.pickSequential(has, limit, dst)
		} else if p.verified < randomFirstPieces {
			dst = p.pickRandom(has, limit, dst)
		} else {
			dst = p.pickRarest(has, limit, dst)
		}
	}
	if len(dst) < limit && p.Endgame() {
		dst = p.pickEndgame(has, start, limit, skip, dst)
	}
	return dst
}

// takeFresh requests piece i's blocks that are neither requested nor
// received, in order, until dst reaches limit.
func (p *Picker) takeFresh(i int32, limit int, dst []Block) []Block {
	ps := &p.pieces[i]
	nb := p.NumBlocks(int(i))
	base := int(i) * p.bpp
	for b := int(ps.hint); b < nb && len(dst) < limit; b++ {
		switch {
		case p.blocks[base+b] != 0:
		case p.isZero(base + b):
			p.blocks[base+b] = blockReceived
			ps.received++
			p.zeroFill = append(p.zeroFill, p.block(int(i), b))
		default:
			p.blocks[base+b] = 1
			ps.requested++
			dst = append(dst, p.block(int(i), b))
		}
		if int(ps.hint) == b {
			ps.hint++
		}
	}
	p.settle(i, false)
	return dst
}

// pickRarest starts new pieces from the lowest-availability buckets of the
// highest priority. Pieces no connected peer announced (bucket 0) come last:
// they are only pickable if the caller did not report this peer's pieces.
func (p *Picker) pickRarest(has *bitfield.Bitfield, limit int, dst []Block) []Block {
	for pr := PriorityNow; pr > PriorityNone; pr-- {
		if p.bucketed[pr] == 0 {
			continue
		}
		nb := len(p.buckets[pr])
		for p.lo[pr] < nb && len(p.buckets[pr][p.lo[pr]]) == 0 {
			p.lo[pr]++
		}
		// unseen counts the pieces at this priority in buckets not yet
		// scanned, so the scan stops after the last non-empty bucket.
		unseen := p.bucketed[pr]
		for a := min(p.lo[pr], nb); a <= nb && unseen > 0; a++ {
			k := a % nb // bucket 0 is visited last
			unseen -= len(p.buckets[pr][k])
			if dst = p.scanBucket(pr, k, has, limit, dst); len(dst) >= limit {
				return dst
			}
		}
	}
	return dst
}

// scanBucket starts new pieces from bucket k of priority pr that the peer
// has, beginning at a random slot (ties are broken at random) and wrapping
// around.
func (p *Picker) scanBucket(pr Priority, k int, has *bitfield.Bitfield, limit int, dst []Block) []Block {
	n := len(p.buckets[pr][k])
	if n == 0 {
		return dst
	}
	start := p.rng.IntN(n)
	// Taking a piece swap-removes it: the bucket's last piece lands in slot
	// j. In the first leg that piece is unseen; in the second it was seen
	// and lacked, so checking it again is harmless.
	for leg := range 2 {
		lo := start
		if leg == 1 {
			lo = 0
		}
		for j := lo; ; {
			s := p.buckets[pr][k]
			if j >= len(s) || (leg == 1 && j >= start) {
				break
			}
			i := s[j]
			if !has.Has(int(i)) {
				j++
				continue
			}
			before := len(dst)
			if dst = p.takeFresh(i, limit, dst); len(dst) >= limit {
				return dst
			}
			if len(dst) == before {
				j++ // cannot happen while the hint is kept right; never spin
			}
		}
	}
	return dst
}

// pickRandom starts new pieces chosen at random among the untouched pieces
// of the highest priority the peer has.
func (p *Picker) pickRandom(has *bitfield.Bitfield, limit int, dst []Block) []Block {
	for pr := PriorityNow; pr > PriorityNone; pr-- {
		for len(dst) < limit && p.bucketed[pr] > 0 {
			i, ok := p.randomCandidate(pr, has)
			if !ok {
				break
			}
			before := len(dst)
			if dst = p.takeFresh(i, limit, dst); len(dst) == before {
				break
			}
		}
		if len(dst) >= limit {
			break
		}
	}
	return dst
}

// randomCandidate scans the buckets of priority pr circularly from a random
// entry and returns the first piece the peer has.
func (p *Picker) randomCandidate(pr Priority, has *bitfield.Bitfield) (int32, bool) {
	bs := p.buckets[pr]
	total := p.bucketed[pr]
	r := p.rng.IntN(total)
	a := 0
	for r >= len(bs[a]) {
		r -= len(bs[a])
		a++
	}
	for seen := 0; seen < total; {
		s := bs[a]
		for ; r < len(s) && seen < total; r++ {
			if has.Has(int(s[r])) {
				return s[r], true
			}
			seen++
		}
		r = 0
		a++
		if a == len(bs) {
			a = 0
		}
	}
	return 0, false
}
