package picker

import "github.com/braid-bt/braid/core/bitfield"

// SetSequential turns in-order downloading on or off: new pieces start in
// index order instead of rarest first (priorities still come first: high
// pieces before normal before low). Pieces in progress are finished first
// either way, and endgame is unchanged.
func (p *Picker) SetSequential(on bool) {
	p.sequential = on
	p.seqLow = 0
}

// Sequential reports whether in-order downloading is on.
func (p *Picker) Sequential() bool { return p.sequential }

// pickSequential starts the untouched pieces the peer has, lowest index
// first within the highest priority. seqLow skips the prefix already out
// of the buckets, so a download in order does not rescan it.
func (p *Picker) pickSequential(has *bitfield.Bitfield, limit int, dst []Block) []Block {
	n := int32(len(p.pieces))
	for p.seqLow < n && p.pieces[p.seqLow].loc != locBucket {
		p.seqLow++
	}
	for pr := PriorityNow; pr > PriorityNone && len(dst) < limit; pr-- {
		if p.bucketed[pr] == 0 {
			continue
		}
		left := p.bucketed[pr]
		for i := p.seqLow; i < n && left > 0 && len(dst) < limit; i++ {
			ps := &p.pieces[i]
			if ps.loc != locBucket || ps.prio != pr {
				continue
			}
			left--
			if has.Has(int(i)) {
				dst = p.takeFresh(i, limit, dst)
			}
		}
	}
	return dst
}
