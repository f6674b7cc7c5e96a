package picker

// This file keeps each piece in the one structure its state calls for:
// a (priority, availability) bucket while untouched, the open or closed list
// of its priority while in progress, nowhere otherwise. Every state change
// ends in settle, which moves the piece in O(1).

// desired is where piece i belongs given its current state.
func (p *Picker) desired(i int32) uint8 {
	ps := &p.pieces[i]
	if ps.done || ps.prio <= PriorityNone {
		return locNone
	}
	nb := int32(p.NumBlocks(int(i)))
	switch {
	case ps.received == nb:
		return locNone
	case ps.received == 0 && ps.requested == 0:
		return locBucket
	case ps.received+ps.requested == nb:
		return locClosed
	}
	return locOpen
}

// settle moves piece i to where it belongs and refreshes its need bit.
// shrink lets bucket storage be released; Pick passes false so it never
// allocates.
func (p *Picker) settle(i int32, shrink bool) {
	ps := &p.pieces[i]
	mask := byte(0x80) >> (i & 7)
	if !ps.done && ps.prio > PriorityNone && ps.received < int32(p.NumBlocks(int(i))) {
		p.need[i>>3] |= mask
	} else {
		p.need[i>>3] &^= mask
	}
	want := p.desired(i)
	if want == ps.loc {
		return
	}
	p.unlink(i, shrink)
	p.link(i, want)
}

// unlink takes piece i out of whatever structure holds it.
func (p *Picker) unlink(i int32, shrink bool) {
	ps := &p.pieces[i]
	switch ps.loc {
	case locBucket:
		p.bucketRemove(i, shrink)
	case locOpen:
		p.listRemove(&p.open[ps.prio], i)
	case locClosed:
		p.listRemove(&p.closed[ps.prio], i)
	}
	ps.loc = locNone
}

// link puts an unlinked piece i into the structure for loc.
func (p *Picker) link(i int32, loc uint8) {
	ps := &p.pieces[i]
	switch loc {
	case locBucket:
		p.bucketAdd(i)
		p.seqLow = min(p.seqLow, i)
	case locOpen:
		p.listPush(&p.open[ps.prio], i)
	case locClosed:
		p.listPush(&p.closed[ps.prio], i)
	}
	ps.loc = loc
}

// bucketAdd appends piece i to its bucket. Order inside a bucket carries no
// meaning: Pick starts each scan at a random slot, which breaks ties at
// random without paying for a random insertion on every availability change.
func (p *Picker) bucketAdd(i int32) {
	ps := &p.pieces[i]
	pr, a := ps.prio, int(ps.avail)
	for len(p.buckets[pr]) <= a {
		p.buckets[pr] = append(p.buckets[pr], nil)
	}
	ps.pos = int32(len(p.buckets[pr][a]))
	p.buckets[pr][a] = append(p.buckets[pr][a], i)
	p.bucketed[pr]++
	if a >= 1 && a < p.lo[pr] {
		p.lo[pr] = a
	}
}

// bucketRemove swap-removes piece i from its bucket. With shrink, a bucket
// that emptied out gives memory back: after a seed connects every piece
// moves up one bucket, and the old bucket must not keep its capacity.
func (p *Picker) bucketRemove(i int32, shrink bool) {
	ps := &p.pieces[i]
	bs := &p.buckets[ps.prio][ps.avail]
	s := *bs
	last := len(s) - 1
	moved := s[last]
	s[ps.pos] = moved
	p.pieces[moved].pos = ps.pos
	s = s[:last]
	if shrink && cap(s) > 64 && len(s) < cap(s)/4 {
		s = append(make([]int32, 0, 2*len(s)), s...)
	}
	*bs = s
	p.bucketed[ps.prio]--
}

func (p *Picker) listPush(l *list, i int32) {
	ps := &p.pieces[i]
	ps.next = -1
	ps.pos = l.tail
	if l.tail >= 0 {
		p.pieces[l.tail].next = i
	} else {
		l.head = i
	}
	l.tail = i
}

func (p *Picker) listRemove(l *list, i int32) {
	ps := &p.pieces[i]
	if ps.pos >= 0 {
		p.pieces[ps.pos].next = ps.next
	} else {
		l.head = ps.next
	}
	if ps.next >= 0 {
		p.pieces[ps.next].pos = ps.pos
	} else {
		l.tail = ps.pos
	}
	ps.next = -1
}
