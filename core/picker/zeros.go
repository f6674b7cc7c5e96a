package picker

// Blocks that lie wholly in BEP 47 padding hold zeros by definition: they
// are filled here instead of requested. A piece is started (takeFresh)
// with its zero blocks marked received and queued for the caller, which
// writes the zeros (TakeZeroFills) and hashes the piece if that completed
// it. Libtorrent 2.0's hybrid torrents pad every file to a piece
// boundary, so a torrent of small files can be mostly padding.

// SetZeroBlock marks block b (whole, of this torrent's geometry) as known
// zeros. Call it before picking starts.
func (p *Picker) SetZeroBlock(b Block) {
	idx, ok := p.blockIndex(b)
	if !ok {
		return
	}
	if p.zeros == nil {
		p.zeros = make([]uint64, (len(p.blocks)+63)/64)
	}
	p.zeros[idx/64] |= 1 << (idx % 64)
}

func (p *Picker) isZero(idx int) bool {
	return p.zeros != nil && p.zeros[idx/64]&(1<<(idx%64)) != 0
}

// TakeZeroFills appends the zero blocks marked received since the last
// call to dst and forgets them: the caller stores their zeros.
func (p *Picker) TakeZeroFills(dst []Block) []Block {
	dst = append(dst, p.zeroFill...)
	p.zeroFill = p.zeroFill[:0]
	return dst
}

// FullyReceived reports whether every block of piece i is received and the
// piece is not yet verified: it is ready to hash.
func (p *Picker) FullyReceived(i int) bool {
	if i < 0 || i >= len(p.pieces) {
		return false
	}
	ps := &p.pieces[i]
	return !ps.done && ps.received == int32(p.NumBlocks(i))
}
