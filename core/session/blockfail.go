package session

import (
	"slices"
	"time"

	"github.com/braid-bt/braid/core/picker"
)

// BitTorrent v2 (BEP 52) names the bad blocks of a failed piece: the
// engine asks a peer for the piece's block hashes, proven by the piece's
// hash, and compares them with what it received. Until it reports back,
// the piece stays "hashing" here (nothing of it is picked again and who
// sent which block is kept); then PieceBlocksBad bans the sender of each
// wrong block at once and fetches only those blocks, with no parole
// round. When no answer comes, the engine reports PieceHashed instead.

// PeerHas reports whether a connected peer has said it has piece: a peer
// to ask for the piece's block hashes.
func (s *Session) PeerHas(id PeerID, piece int) bool {
	p := s.peers[id]
	return p != nil && piece >= 0 && piece < s.numPieces && p.has.Has(piece)
}

// SentBlock reports whether a connected peer sent a block of the copy of
// piece now being hashed: the engine asks others first for the piece's
// block hashes.
func (s *Session) SentBlock(id PeerID, piece int) bool {
	if piece < 0 || piece >= s.numPieces || s.pieces[piece] == nil {
		return false
	}
	for _, r := range s.pieces[piece].blocks {
		if r.from != nil && r.from.id == id {
			return true
		}
	}
	return false
}

// PieceBlocksBad reports a failed piece, handed to Out.HashPiece, whose
// blocks bad (indices in the piece) were proven wrong by their v2 block
// hashes: each one's sender is banned, and only those blocks are fetched
// again (the rest of the piece is good). Pieces not being hashed, and an
// empty bad, are ignored: the engine reports those by PieceHashed.
func (s *Session) PieceBlocksBad(piece int, bad []int, now time.Time) {
	s.touch(now)
	if len(bad) == 0 || piece < 0 || piece >= s.numPieces || !s.hashing.Has(piece) {
		return
	}
	s.hashing.Clear(piece)
	s.hashFails++
	ps := s.pieces[piece]
	nb := s.pk.NumBlocks(piece)
	size := s.pk.PieceSize(piece)
	for i, k := range bad {
		if k < 0 || k >= nb || slices.Contains(bad[:i], k) {
			continue
		}
		s.wasted += min(picker.BlockSize, size-int64(k)*picker.BlockSize)
		if ps == nil || k >= len(ps.blocks) {
			continue
		}
		if from := ps.blocks[k].from; from != nil {
			s.ban(from.host)
		}
		ps.blocks[k] = blockRec{}
	}
	s.pk.FailedBlocks(piece, bad)
	s.refillAll(now)
	s.dropDoomed(now)
}
