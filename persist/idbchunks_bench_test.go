package persist

import "testing"

// BenchmarkChunkStoreWriteBlocks writes 16 KiB blocks of 256 KiB pieces into
// fresh storage, the browser's per-block storage cost (flushes included).
func BenchmarkChunkStoreWriteBlocks(b *testing.B) {
	const pieceLen, total = 256 << 10, 32 << 20
	block := make([]byte, 16<<10)
	b.SetBytes(int64(len(block)))
	var c *chunkStore
	off := int64(total)
	for b.Loop() {
		if off == total {
			b.StopTimer()
			var err error
			if c, err = newChunkStore(&copyPieces{}, total, pieceLen); err != nil {
				b.Fatal(err)
			}
			off = 0
			b.StartTimer()
		}
		if _, err := c.WriteAt(block, off); err != nil {
			b.Fatal(err)
		}
		off += int64(len(block))
	}
}

// copyPieces copies what it is given into one buffer, as the browser's
// database copies into JavaScript memory, and keeps nothing.
type copyPieces struct{ last []byte }

func (s *copyPieces) getPieces(ps []pieceRef) ([][]byte, error) { return make([][]byte, len(ps)), nil }
func (s *copyPieces) listPieces() ([]int, error)                { return nil, nil }
func (s *copyPieces) deletePieces() error                       { return nil }
func (s *copyPieces) getMarks() ([]byte, []byte, error)         { return nil, nil, nil }
func (s *copyPieces) putPieces(ps []storedPiece, _, _ []byte) error {
	for _, p := range ps {
		s.last = append(s.last[:0], p.data...)
	}
	return nil
}
