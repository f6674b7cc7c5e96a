package session

import (
	"time"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// onRequest serves a peer's request for a block of a verified piece:
// while it is choked only pieces of the allowed-fast set we granted it.
func (s *Session) onRequest(p *peer, m *wire.Message, now time.Time) error {
	if m.Length == 0 || m.Length > wire.MaxRequestLength {
		return protoErr("request length %d", m.Length)
	}
	if uint64(m.Index) >= uint64(s.numPieces) ||
		uint64(m.Begin)+uint64(m.Length) > uint64(s.info.PieceSize(int(m.Index))) {
		return protoErr("request piece %d begin %d length %d outside the torrent", m.Index, m.Begin, m.Length)
	}
	b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
	if s.stopped || (p.amChoking && !p.allowedWhileChoked(b.Piece)) || !s.have.Has(b.Piece) ||
		(s.uq != nil && s.uq.QueuedBlocks(p.id) >= s.cfg.MaxPeerRequests) {
		s.reject(p, b)
		return nil
	}
	s.out.SendBlock(p.id, b.Piece, b.Begin, b.Length)
	s.countUpload(p, b.Length)
	return nil
}

func (s *Session) countUpload(p *peer, n int) {
	s.uploaded += int64(n)
	s.up.add(n)
	p.uploaded += int64(n)
	p.up.add(n)
}

// reject answers a request we will not serve: BEP 6 peers get a Reject,
// others are ignored, as BEP 3 has no way to say no.
func (s *Session) reject(p *peer, b picker.Block) {
	if p.info.Fast {
		s.sendBlockMsg(p, wire.Reject, b)
	}
}

// onCancel withdraws a queued block if the engine still holds it. With
// BEP 6 a cancelled request must be answered by the block or a Reject.
func (s *Session) onCancel(p *peer, m *wire.Message) {
	if s.uq == nil || m.Length > wire.MaxRequestLength {
		return
	}
	b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
	if s.uq.CancelBlock(p.id, b.Piece, b.Begin, b.Length) {
		s.uncountUpload(p, b.Length)
		s.reject(p, b)
	}
}

// uncountUpload takes back a block counted as uploaded that was never sent.
func (s *Session) uncountUpload(p *peer, n int) {
	s.uploaded -= int64(n)
	s.up.acc = max(0, s.up.acc-int64(n))
	p.uploaded -= int64(n)
	p.up.acc = max(0, p.up.acc-int64(n))
}

// choke stops uploading to p; with an UploadQueue its queued blocks are
// dropped (and rejected, under BEP 6, where choking no longer implies it).
func (s *Session) choke(p *peer) {
	if p.amChoking {
		return
	}
	p.amChoking = true
	p.regular = false
	if s.optimistic == p {
		s.optimistic = nil
	}
	s.send(p, wire.Choke)
	if s.uq == nil {
		return
	}
	s.blocks = s.uq.DropBlocks(p.id, s.blocks[:0])
	for _, b := range s.blocks {
		s.uncountUpload(p, b.Length)
		s.reject(p, b)
	}
}

func (s *Session) unchoke(p *peer, now time.Time) {
	if !p.amChoking {
		return
	}
	p.amChoking = false
	p.unchokedAt = now
	s.send(p, wire.Unchoke)
}
