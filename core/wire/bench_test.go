package wire

import (
	"bytes"
	"testing"
)

func BenchmarkAppendPiece(b *testing.B) {
	m := Message{Type: Piece, Index: 1, Begin: 16384, Block: make([]byte, BlockSize)}
	dst := make([]byte, 0, BlockSize+PieceHeaderLen)
	b.SetBytes(BlockSize)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendMessage(dst[:0], &m)
	}
}

func BenchmarkParseMessage(b *testing.B) {
	req := AppendMessage(nil, &Message{Type: Request, Index: 1, Begin: 16384, Length: BlockSize})[4:]
	piece := AppendMessage(nil, &Message{Type: Piece, Index: 1, Begin: 0, Block: make([]byte, BlockSize)})[4:]
	for _, bm := range []struct {
		name string
		body []byte
	}{{"request", req}, {"piece", piece}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseMessage(bm.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadMessage(b *testing.B) {
	one := AppendMessage(nil, &Message{Type: Piece, Index: 1, Begin: 0, Block: make([]byte, BlockSize)})
	r := bytes.NewReader(one)
	buf := make([]byte, 0, len(one))
	lim := DefaultLimits(1000)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(one)
		if _, _, err := ReadMessage(r, buf, lim); err != nil {
			b.Fatal(err)
		}
	}
}
