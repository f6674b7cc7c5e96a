package main

import (
	"math/rand/v2"
	"testing"

	"github.com/braid-bt/braid/core/merkle"
)

// The limit hashes what a v2 verify hashes: its piece roots are the
// piece layer's, for a whole piece and for a short last one.
func TestPieceRootMatchesMerkle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const piece = 256 << 10
	for _, n := range []int{piece, piece - 1, 3*blockSize + 100, blockSize, 1} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		var blocks []merkle.Hash
		for i := 0; i < n; i += blockSize {
			blocks = append(blocks, merkle.BlockHash(b[i:min(n, i+blockSize)]))
		}
		want, err := merkle.PieceRoot(blocks, piece)
		if err != nil {
			t.Fatal(err)
		}
		if got := pieceRoot(b, piece); got != want {
			t.Errorf("%d bytes: root %x, want %x", n, got, want)
		}
	}
}
