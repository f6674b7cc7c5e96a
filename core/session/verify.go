package session

import (
	"hash/maphash"
	"time"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// Trust bookkeeping per address (see Config.MaxBadPieces).
const (
	trustPerFail   = 2 // a failed piece costs two points...
	trustPerGood   = 1 // ...a verified one earns one back...
	trustMax       = 8 // ...up to four failures' worth
	soleFailBan    = 2 // failed pieces sent entirely by one peer before it is banned
	maxFailedTries = 2 // failed attempts of a piece remembered for comparison
)

// blockRec says who sent one block of a piece and a keyed hash of what it
// sent, so a later good copy can prove which sender was wrong.
type blockRec struct {
	from *peer
	sum  uint64
}

// pieceState follows one piece from its first received block to its hash
// result, and remembers failed attempts until the piece verifies.
type pieceState struct {
	blocks []blockRec   // current attempt, by block index
	failed [][]blockRec // earlier attempts that failed hashing
}

// hostRecord is what the session learnt about one address.
type hostRecord struct {
	trust  int
	sole   int
	banned bool
}

// record notes that p supplied block b with data.
func (s *Session) record(p *peer, b picker.Block, data []byte) {
	ps := s.pieces[b.Piece]
	if ps == nil {
		ps = s.newPieceState(b.Piece)
	}
	if k := b.Begin / picker.BlockSize; k < len(ps.blocks) {
		ps.blocks[k] = blockRec{from: p, sum: maphash.Bytes(s.seed, data)}
	}
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
	clear(ps.blocks)
	clear(ps.failed)
	ps.failed = ps.failed[:0]
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
// hash. Good pieces are announced to every peer; bad ones are fetched again
// and count against the peers that sent them. Results for pieces not handed
// to Out.HashPiece (or already reported) are ignored.
func (s *Session) PieceHashed(piece int, ok bool, now time.Time) {
	s.touch(now)
	if !s.hashing.Has(piece) {
		return
	}
	s.hashing.Clear(piece)
	if ok {
		s.pieceGood(piece, now)
	} else {
		s.pieceBad(piece, now)
	}
	s.dropDoomed(now)
}

func (s *Session) pieceGood(piece int, now time.Time) {
	wasWanted := s.wanted(piece)
	s.pk.Verified(piece)
	s.have.Set(piece)
	s.haveBytes += s.info.PieceSize(piece)
	for b := range s.endgame {
		if b.Piece == piece {
			delete(s.endgame, b)
		}
	}
	if ps := s.pieces[piece]; ps != nil {
		s.epoch++
		for _, r := range ps.blocks {
			if r.from != nil && r.from.mark != s.epoch {
				r.from.mark = s.epoch
				h := s.hostRec(r.from.host)
				h.trust = min(h.trust+trustPerGood, trustMax)
			}
		}
		// Any block of a failed attempt that differs from the good copy
		// was wrong: its sender is proven bad.
		for _, att := range ps.failed {
			for k, r := range att {
				if r.from != nil && k < len(ps.blocks) && ps.blocks[k].from != nil && r.sum != ps.blocks[k].sum {
					s.ban(r.from.host)
				}
			}
		}
		s.releasePieceState(piece)
	}
	for _, p := range s.order {
		s.sendIndex(p, wire.Have, piece) // always: clients judge reciprocity by it
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
	s.out.Completed()
	for _, p := range s.order {
		if s.redundant(p) {
			s.doomed = append(s.doomed, doomedPeer{p, ErrBothSeeds})
		}
	}
}

func (s *Session) pieceBad(piece int, now time.Time) {
	s.pk.Failed(piece)
	s.hashFails++
	s.wasted += s.info.PieceSize(piece)
	if ps := s.pieces[piece]; ps != nil {
		s.epoch++
		var only *peer
		senders, missing := 0, false
		for _, r := range ps.blocks {
			if r.from == nil {
				missing = true
				continue
			}
			if r.from.mark != s.epoch {
				r.from.mark = s.epoch
				senders++
				only = r.from
				h := s.hostRec(r.from.host)
				h.trust -= trustPerFail
				if h.trust <= -trustPerFail*s.cfg.MaxBadPieces {
					s.ban(r.from.host)
				}
			}
		}
		if senders == 1 && !missing {
			h := s.hostRec(only.host)
			if h.sole++; h.sole >= soleFailBan {
				s.ban(only.host)
			}
		}
		if len(ps.failed) < maxFailedTries {
			ps.failed = append(ps.failed, append([]blockRec(nil), ps.blocks...))
		}
		clear(ps.blocks)
	}
	s.refillAll(now)
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
