package session

import (
	"hash/maphash"
	"slices"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// maxFailedTries bounds the failed attempts of a piece remembered for
// comparison with the copy that finally verifies.
const maxFailedTries = 2

// blockRec says who sent one block of a piece and a keyed hash of what it
// sent, so a later good copy can prove which sender was wrong.
type blockRec struct {
	from   *peer
	sum    uint64
	summed bool // sum is known: computed on receipt for a piece on parole, or by the hasher for a failed copy
}

// pieceState follows one piece from its first received block to its hash
// result, and remembers failed attempts until the piece verifies.
//
// A piece that failed is on parole: its next attempt comes from one peer
// only (the owner, the first peer it is requested from), so that attempt
// either verifies, and the comparison with the failed attempts names the
// peers whose blocks differed, or fails with a single sender to blame.
// Mixed attempts alone never count against anyone: an honest peer that
// shared a piece with a liar is not punished for it.
type pieceState struct {
	blocks []blockRec   // current attempt, by block index
	failed [][]blockRec // earlier attempts that failed hashing
	parole bool         // listed in Session.parole
	owner  *peer        // the one peer fetching a piece on parole; nil while free
}

// hostRecord is what the session learnt about one address.
type hostRecord struct {
	sole   int // failed pieces it alone sent
	banned bool
}

// record notes that p supplied block b with data. Only a piece that failed
// before (on parole) keeps a sum of each block as it arrives: it is what a
// good copy is compared with. A first copy's sums come from the hasher if
// it fails (PieceHashed), so the common case hashes nothing extra per block.
func (s *Session) record(p *peer, b picker.Block, data []byte) {
	ps := s.pieces[b.Piece]
	if ps == nil {
		ps = s.newPieceState(b.Piece)
	}
	if k := b.Begin / picker.BlockSize; k < len(ps.blocks) {
		r := blockRec{from: p}
		if ps.parole {
			r.sum, r.summed = maphash.Bytes(s.seed, data), true
		}
		ps.blocks[k] = r
	}
}

// BlockSums appends to dst a keyed sum of each block of a piece's data,
// for PieceHashed when the piece fails. It reads only what New fixed, so
// any goroutine may call it (the engine's hashing pool does).
func (s *Session) BlockSums(piece []byte, dst []uint64) []uint64 {
	for off := 0; off < len(piece); off += picker.BlockSize {
		dst = append(dst, maphash.Bytes(s.seed, piece[off:min(off+picker.BlockSize, len(piece))]))
	}
	return dst
}

func (s *Session) newPieceState(piece int) *pieceState {
	nb := s.pk.NumBlocks(piece)
	var ps *pieceState
	if n := len(s.freeRecs); n > 0 {
		ps = s.freeRecs[n-1]
		s.freeRecs = s.freeRecs[:n-1]
	} else {
		ps = &pieceState{}
	}
	if cap(ps.blocks) < nb {
		ps.blocks = make([]blockRec, nb)
	}
	ps.blocks = ps.blocks[:nb]
	s.pieces[piece] = ps
	return ps
}

func (s *Session) releasePieceState(piece int) {
	ps := s.pieces[piece]
	if ps == nil {
		return
	}
	s.pieces[piece] = nil
	if ps.parole {
		if i := slices.Index(s.parole, piece); i >= 0 {
			s.parole = slices.Delete(s.parole, i, i+1)
		}
	}
	clear(ps.blocks)
	clear(ps.failed)
	ps.failed = ps.failed[:0]
	ps.parole, ps.owner = false, nil
	s.freeRecs = append(s.freeRecs, ps)
}

func (s *Session) hostRec(host string) *hostRecord {
	h := s.hosts[host]
	if h == nil {
		h = &hostRecord{}
		s.hosts[host] = h
	}
	return h
}

// PieceHashed reports the engine's verification of a piece it was asked to
// hash. Good pieces are announced to every peer and convict the senders of
// differing blocks in earlier failed copies; bad ones are fetched again from
// one peer (parole) and count against a peer that sent all of them. Results
// for pieces not handed
// to Out.HashPiece (or already reported) are ignored. For a bad piece,
// sums are BlockSums of the data that failed (nil if it could not be read):
// the failed copy is remembered by them.
func (s *Session) PieceHashed(piece int, ok bool, sums []uint64, now time.Time) {
	s.touch(now)
	if !s.hashing.Has(piece) {
		return
	}
	s.hashing.Clear(piece)
	if ok {
		s.pieceGood(piece, now)
	} else {
		s.pieceBad(piece, sums, now)
	}
	s.dropDoomed(now)
}

func (s *Session) pieceGood(piece int, now time.Time) {
	wasWanted := s.wanted(piece)
	s.pk.Verified(piece)
	s.have.Set(piece)
	s.haveBytes += s.pieceBytes(piece)
	for b := range s.endgame {
		if b.Piece == piece {
			delete(s.endgame, b)
		}
	}
	if ps := s.pieces[piece]; ps != nil {
		// Any block of a failed attempt that differs from the good copy
		// was wrong: its sender is proven bad.
		for _, att := range ps.failed {
			for k, r := range att {
				if r.from != nil && k < len(ps.blocks) && ps.blocks[k].from != nil &&
					r.summed && ps.blocks[k].summed && r.sum != ps.blocks[k].sum {
					s.ban(r.from.host)
				}
			}
		}
		s.releasePieceState(piece)
	}
	for _, p := range s.order {
		s.sendIndex(p, wire.Have, piece) // always: clients judge reciprocity by it
		if p.allowedWhileChoked(piece) {
			s.sendIndex(p, wire.AllowedFast, piece) // granted before we had it
		}
		if wasWanted && p.has.Has(piece) {
			p.wantCount--
			s.updateInterest(p)
		}
	}
	if s.pk.Done() && !s.completed {
		s.becameComplete()
	}
}

// becameComplete runs once per transition to having every wanted piece.
func (s *Session) becameComplete() {
	s.completed = true
	s.updateUploadOnly()
	s.out.Completed()
	for _, p := range s.order {
		if s.redundant(p) {
			s.doomed = append(s.doomed, doomedPeer{p, ErrBothSeeds})
		}
	}
}

// pieceBad returns a failed piece to the picker and puts it on parole. Only
// a peer that sent every block of the failed copy is blamed for it; the
// senders of a mixed copy are judged when the piece verifies (pieceGood).
func (s *Session) pieceBad(piece int, sums []uint64, now time.Time) {
	s.pk.Failed(piece)
	s.hashFails++
	s.wasted += s.info.PieceSize(piece)
	if ps := s.pieces[piece]; ps != nil {
		var only *peer
		sole := true
		for _, r := range ps.blocks {
			switch {
			case r.from == nil || only != nil && r.from != only:
				sole = false
			case only == nil:
				only = r.from
			}
		}
		if sole && only != nil {
			h := s.hostRec(only.host)
			if h.sole++; h.sole >= s.cfg.MaxBadPieces {
				s.ban(only.host)
			}
		}
		if len(ps.failed) < maxFailedTries {
			att := append([]blockRec(nil), ps.blocks...)
			if len(sums) == len(att) {
				for k := range att {
					att[k].sum, att[k].summed = sums[k], true
				}
			}
			ps.failed = append(ps.failed, att)
		}
		clear(ps.blocks)
		if !ps.parole {
			ps.parole = true
			s.parole = append(s.parole, piece)
		}
		ps.owner = nil
	}
	s.refillAll(now)
}

// paroleMask is has without the pieces on parole that another peer is
// fetching. An owner that has no request left in its piece (it choked us,
// its requests timed out, it left) or is snubbed gives the piece up, and a
// snubbed peer takes none: a stalled owner must not hold a piece forever.
func (s *Session) paroleMask(p *peer, has *bitfield.Bitfield) *bitfield.Bitfield {
	var masked *bitfield.Bitfield
	for _, i := range s.parole {
		if !has.Has(i) {
			continue
		}
		ps := s.pieces[i]
		o := ps.owner
		if o != nil && (o.gone || o.snubbed || !o.requestsIn(i)) {
			ps.owner, o = nil, nil
		}
		if o == p || o == nil && !p.snubbed {
			continue
		}
		if masked == nil {
			masked = has.Clone() // rare: only while a failed piece is re-fetched
		}
		masked.Clear(i)
	}
	if masked == nil {
		return has
	}
	return masked
}

// claimParole makes p the owner of the free pieces on parole it was just
// given blocks of.
func (s *Session) claimParole(p *peer, picks []picker.Block) {
	for _, b := range picks {
		if ps := s.pieces[b.Piece]; ps != nil && ps.parole && ps.owner == nil {
			ps.owner = p
		}
	}
}

// ban marks an address as bad and closes its connections.
func (s *Session) ban(host string) {
	h := s.hostRec(host)
	h.banned = true
	for _, p := range s.order {
		if p.host == host {
			s.doomed = append(s.doomed, doomedPeer{p, ErrBanned})
		}
	}
}
