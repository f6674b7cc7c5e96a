package session

import (
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// LosePiece takes back a verified piece whose data is gone: the engine
// could not read it to upload and a fresh hash of what is on disk failed
// (a file truncated or deleted under a seeding torrent). The piece is
// fetched again if wanted; peers that speak BEP 54 get lt_donthave, so
// they stop asking us for it; interest, upload_only and completion follow.
// Unknown or unverified pieces are ignored.
func (s *Session) LosePiece(piece int, now time.Time) {
	s.touch(now)
	if piece < 0 || piece >= s.numPieces || !s.have.Has(piece) {
		return
	}
	s.have.Clear(piece)
	s.pk.Lost(piece)
	s.haveBytes -= s.pieceBytes(piece)
	wanted := s.wanted(piece)
	if wanted {
		s.completed = false
	}
	for _, p := range s.order {
		if id := p.extID(wire.ExtNameDontHave); id != 0 {
			s.extScratch = wire.AppendDontHave(s.extScratch[:0], uint32(piece))
			s.msg = wire.Message{Type: wire.Extended, ExtID: id, Payload: s.extScratch}
			s.out.Send(p.id, &s.msg)
		}
		if wanted && p.has.Has(piece) {
			p.wantCount++
			s.updateInterest(p)
		}
	}
	s.updateUploadOnly()
	for _, p := range s.order {
		s.fill(p, now)
	}
}
