package picker

import (
	"encoding/binary"
	"math/bits"

	"github.com/braid-bt/braid/core/bitfield"
)

// PeerBitfield counts a newly known peer's pieces (its BITFIELD, or a full
// bitfield for HAVE ALL). Call it once per peer, and PeerLeft with the same
// pieces when it goes.
func (p *Picker) PeerBitfield(bf *bitfield.Bitfield) { p.addBitfield(bf, 1) }

// PeerLeft uncounts a departed peer's pieces.
func (p *Picker) PeerLeft(bf *bitfield.Bitfield) { p.addBitfield(bf, -1) }

// PeerHave counts one piece a peer announced with HAVE. The caller ignores
// repeated HAVEs for the same piece.
func (p *Picker) PeerHave(i int) {
	if i >= 0 && i < len(p.pieces) {
		p.addAvail(int32(i), 1)
	}
}

func (p *Picker) addBitfield(bf *bitfield.Bitfield, d int32) {
	if bf == nil {
		return
	}
	// Moving pieces one by one costs a few cache misses each; past a
	// fraction of the torrent, counting first and refilling the buckets in
	// one sequential pass is cheaper.
	batch := bf.Count() > len(p.pieces)/8
	n := min(bf.Len(), len(p.pieces))
	for j, x := range bf.Bytes() {
		for x != 0 {
			k := bits.LeadingZeros8(x)
			x &^= 0x80 >> k
			i := j<<3 + k
			if i >= n {
				break
			}
			if batch {
				ps := &p.pieces[i]
				if a := ps.avail + d; a >= 0 && a <= maxAvail {
					ps.avail = a
				}
			} else {
				p.addAvail(int32(i), d)
			}
		}
	}
	if batch {
		p.rebuildBuckets()
	}
}

// rebuildBuckets refills every bucket from the pieces' current state.
func (p *Picker) rebuildBuckets() {
	for pr := range numPrio {
		for a := range p.buckets[pr] {
			p.buckets[pr][a] = p.buckets[pr][a][:0]
		}
		p.bucketed[pr] = 0
		p.lo[pr] = maxAvail + 1
	}
	var count [numPrio]int
	for i := range p.pieces {
		ps := &p.pieces[i]
		if ps.loc != locBucket {
			continue
		}
		pr, a := ps.prio, int(ps.avail)
		for len(p.buckets[pr]) <= a {
			p.buckets[pr] = append(p.buckets[pr], nil)
		}
		b := &p.buckets[pr][a]
		ps.pos = int32(len(*b))
		*b = append(*b, int32(i))
		count[pr]++
		if a >= 1 && a < p.lo[pr] {
			p.lo[pr] = a
		}
	}
	for pr := range numPrio {
		p.bucketed[pr] = count[pr]
		for a, s := range p.buckets[pr] {
			if cap(s) > 64 && len(s) < cap(s)/4 {
				p.buckets[pr][a] = append(make([]int32, 0, 2*len(s)), s...)
			}
		}
	}
}

// addAvail changes piece i's availability, moving it between buckets if it
// is untouched.
func (p *Picker) addAvail(i int32, d int32) {
	ps := &p.pieces[i]
	a := ps.avail + d
	if a < 0 || a > maxAvail {
		return
	}
	if ps.loc != locBucket {
		ps.avail = a
		return
	}
	p.bucketRemove(i, true)
	ps.avail = a
	p.bucketAdd(i)
}

// InterestedIn reports whether a peer with these pieces has one Braid wants
// and has not fully received.
func (p *Picker) InterestedIn(has *bitfield.Bitfield) bool {
	if has == nil {
		return false
	}
	b := has.Bytes()
	n := min(len(b), len(p.need))
	j := 0
	for ; j+8 <= n; j += 8 {
		if binary.LittleEndian.Uint64(b[j:])&binary.LittleEndian.Uint64(p.need[j:]) != 0 {
			return true
		}
	}
	for ; j < n; j++ {
		if b[j]&p.need[j] != 0 {
			return true
		}
	}
	return false
}

// PeerLost uncounts one piece a peer said it no longer has (BEP 54
// lt_donthave). The caller ignores pieces the peer did not have.
func (p *Picker) PeerLost(i int) {
	if i >= 0 && i < len(p.pieces) {
		p.addAvail(int32(i), -1)
	}
}
