package picker

import "github.com/braid-bt/braid/core/bitfield"

// Endgame reports whether every missing block of wanted pieces that some
// connected peer has is already requested: from now on Pick hands out
// duplicate requests so a few slow peers cannot hold up completion.
func (p *Picker) Endgame() bool {
	if p.wantedMissing == 0 {
		return false
	}
	for pr := PriorityLow; pr <= PriorityNow; pr++ {
		if p.open[pr].head >= 0 {
			return false
		}
		n := p.bucketed[pr]
		if len(p.buckets[pr]) > 0 {
			n -= len(p.buckets[pr][0])
		}
		if n > 0 {
			return false
		}
	}
	return true
}

// pickEndgame appends blocks that are requested but not received, first
// those requested only once, never one already in dst[start:].
func (p *Picker) pickEndgame(has *bitfield.Bitfield, start, limit int, skip func(Block) bool, dst []Block) []Block {
	return p.pickDuplicates(has, PriorityLow, 2, start, limit, skip, dst)
}

// PickUrgent appends up to max blocks of PriorityNow pieces (those a
// reader is waiting for) that the peer has and that are requested from
// exactly one other peer, and marks them requested again: a second copy
// of what a stream waits on, so one slow peer cannot stall it for a whole
// request timeout. The first copy to arrive should cancel the other, as in
// endgame. dst holds the blocks just picked for this peer (Pick's result),
// never repeated; skip (may be nil) vetoes others, e.g. those this peer
// already has outstanding.
func (p *Picker) PickUrgent(has *bitfield.Bitfield, max int, skip func(Block) bool, dst []Block) []Block {
	if has == nil || max <= 0 || p.closed[PriorityNow].head < 0 {
		return dst
	}
	return p.pickDuplicates(has, PriorityNow, 1, 0, len(dst)+max, skip, dst)
}

// pickDuplicates appends blocks of pieces at priority floor and above that
// are requested but not received: in the first pass those requested once,
// in a second (passes 2) those requested twice; never one already in
// dst[start:].
func (p *Picker) pickDuplicates(has *bitfield.Bitfield, floor Priority, passes, start, limit int, skip func(Block) bool, dst []Block) []Block {
	fresh := len(dst) - start
	for pass := range passes {
		for pr := PriorityNow; pr >= floor; pr-- {
			for i := p.closed[pr].head; i >= 0; i = p.pieces[i].next {
				if !has.Has(int(i)) {
					continue
				}
				nb := p.NumBlocks(int(i))
				base := int(i) * p.bpp
				for b := range nb {
					st := p.blocks[base+b]
					if st == 0 || st&blockReceived != 0 || (pass == 0) != (st == 1) {
						continue
					}
					blk := p.block(int(i), b)
					// Blocks picked earlier in this call: fresh ones still
					// have one request, first-pass ones two.
					if (st == 1 && fresh > 0 && contains(dst[start:start+fresh], blk)) ||
						(st == 2 && contains(dst[start:], blk)) {
						continue
					}
					if skip != nil && skip(blk) {
						continue
					}
					if st < blockMaxReq {
						p.blocks[base+b] = st + 1
					}
					dst = append(dst, blk)
					if len(dst) >= limit {
						return dst
					}
				}
			}
		}
	}
	return dst
}

func contains(bs []Block, b Block) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}
