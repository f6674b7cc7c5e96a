package picker

// Unrequest forgets one request for b: it was cancelled, rejected, timed
// out, or its peer is gone. Once no request is left the block can be picked
// again.
func (p *Picker) Unrequest(b Block) {
	idx, ok := p.blockIndex(b)
	if !ok {
		return
	}
	ps := &p.pieces[b.Piece]
	st := p.blocks[idx]
	if ps.done || st == 0 || st&blockReceived != 0 {
		return
	}
	st--
	p.blocks[idx] = st
	if st != 0 {
		return
	}
	ps.requested--
	if k := int32(b.Begin / BlockSize); k < ps.hint {
		ps.hint = k
	}
	p.settle(int32(b.Piece), true)
}

// Received records b's data. wanted is false for blocks already received,
// of verified pieces, of unwanted pieces never requested, or not matching
// the torrent's geometry; the caller drops such data. pieceDone is true when
// this block completed its piece, which the caller then hashes.
func (p *Picker) Received(b Block) (pieceDone, wanted bool) {
	idx, ok := p.blockIndex(b)
	if !ok {
		return false, false
	}
	ps := &p.pieces[b.Piece]
	st := p.blocks[idx]
	if ps.done || st&blockReceived != 0 || (st == 0 && ps.prio == PriorityNone) {
		return false, false
	}
	if st != 0 {
		ps.requested--
	}
	p.blocks[idx] = blockReceived
	ps.received++
	p.settle(int32(b.Piece), true)
	return ps.received == int32(p.NumBlocks(b.Piece)), true
}

// Verified marks piece i as hashed and good.
func (p *Picker) Verified(i int) {
	if i < 0 || i >= len(p.pieces) || p.pieces[i].done {
		return
	}
	ps := &p.pieces[i]
	p.unlink(int32(i), true)
	ps.done = true
	p.verified++
	if ps.prio > PriorityNone {
		p.wantedMissing--
		p.left -= p.PieceSize(i)
	}
	p.settle(int32(i), true)
}

// Failed records a hash failure: every block of piece i is missing again
// and nothing of it counts as requested.
func (p *Picker) Failed(i int) {
	if i < 0 || i >= len(p.pieces) || p.pieces[i].done {
		return
	}
	ps := &p.pieces[i]
	base := i * p.bpp
	clear(p.blocks[base : base+p.NumBlocks(i)])
	ps.requested, ps.received, ps.hint = 0, 0, 0
	p.settle(int32(i), true)
}

// Lost undoes Verified: piece i's data is gone (a file truncated or
// deleted under a seeding torrent), so every block of it is missing again.
func (p *Picker) Lost(i int) {
	if i < 0 || i >= len(p.pieces) || !p.pieces[i].done {
		return
	}
	ps := &p.pieces[i]
	p.unlink(int32(i), true)
	ps.done = false
	p.verified--
	if ps.prio > PriorityNone {
		p.wantedMissing++
		p.left += p.PieceSize(i)
	}
	base := i * p.bpp
	clear(p.blocks[base : base+p.NumBlocks(i)])
	ps.requested, ps.received, ps.hint = 0, 0, 0
	p.settle(int32(i), true)
}

// FailedBlocks records that some received blocks of piece i were proven
// wrong (a BitTorrent v2 piece whose block hashes named them): only those
// blocks are missing again; the piece's other blocks stay received.
// Blocks out of range or not received are ignored.
func (p *Picker) FailedBlocks(i int, blocks []int) {
	if i < 0 || i >= len(p.pieces) || p.pieces[i].done {
		return
	}
	ps := &p.pieces[i]
	base, nb := i*p.bpp, p.NumBlocks(i)
	for _, k := range blocks {
		if k < 0 || k >= nb || p.blocks[base+k]&blockReceived == 0 {
			continue
		}
		p.blocks[base+k] = 0
		ps.received--
		if int32(k) < ps.hint {
			ps.hint = int32(k)
		}
	}
	p.settle(int32(i), true)
}
