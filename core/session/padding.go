package session

import (
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
)

// zeroBlock is the data of every block wholly inside BEP 47 padding.
// Storage only reads what it is given, so one shared array serves all.
var zeroBlock [picker.BlockSize]byte

// markPadding tells the picker which blocks lie wholly in padding files:
// they are zeros by definition, so they are written locally instead of
// requested from peers. It returns how many padding bytes each piece
// holds (nil when the torrent has none), so byte counts can leave them out.
func markPadding(pk *picker.Picker, info *metainfo.Info) []int32 {
	var padIn []int32
	for _, f := range info.Files {
		if !f.Padding || f.Length <= 0 {
			continue
		}
		if padIn == nil {
			padIn = make([]int32, info.NumPieces())
		}
		end := f.Offset + f.Length
		// Block by block: each adds its overlap with the padding to its
		// piece's count, and a block wholly inside is known zeros.
		for off := f.Offset; off < end; {
			i := int(off / info.PieceLength)
			b := (off - info.PieceOffset(i)) / picker.BlockSize * picker.BlockSize // the block holding off
			blockStart := info.PieceOffset(i) + b
			blockEnd := blockStart + min(int64(picker.BlockSize), info.PieceSize(i)-b)
			padIn[i] += int32(min(blockEnd, end) - off)
			if blockStart >= f.Offset && blockEnd <= end {
				pk.SetZeroBlock(picker.Block{Piece: i, Begin: int(b), Length: int(blockEnd - blockStart)})
			}
			off = blockEnd
		}
	}
	return padIn
}

// pieceBytes is the bytes of piece i that belong to files (not padding).
func (s *Session) pieceBytes(i int) int64 {
	n := s.info.PieceSize(i)
	if s.padIn != nil {
		n -= int64(s.padIn[i])
	}
	return n
}

// writeZeroFills stores the zero blocks the picker filled while picking,
// and hashes any piece they completed.
func (s *Session) writeZeroFills() {
	s.zeroFills = s.pk.TakeZeroFills(s.zeroFills[:0])
	for _, b := range s.zeroFills {
		s.out.WriteBlock(b.Piece, b.Begin, zeroBlock[:b.Length])
		if s.pk.FullyReceived(b.Piece) && !s.hashing.Has(b.Piece) {
			s.hashing.Set(b.Piece)
			s.out.HashPiece(b.Piece)
		}
	}
}
