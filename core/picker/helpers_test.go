package picker

import (
	"math/rand/v2"
	"testing"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/stretchr/testify/require"
)

func rngOf(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// bf returns an n-bit bitfield with the given bits set.
func bf(n int, set ...int) *bitfield.Bitfield {
	f := bitfield.New(n)
	for _, i := range set {
		f.Set(i)
	}
	return f
}

func full(n int) *bitfield.Bitfield {
	f := bitfield.New(n)
	f.SetAll()
	return f
}

// onePerPiece builds a picker whose pieces are one block each, so every
// picked block names one picked piece.
func onePerPiece(n int, seed uint64) *Picker {
	return New(n, BlockSize, int64(n)*BlockSize, rngOf(seed))
}

// withAvail reports peers so that piece i has availability avail[i].
func withAvail(p *Picker, avail []int) {
	n := len(avail)
	for level := 1; ; level++ {
		f := bitfield.New(n)
		for i, a := range avail {
			if a >= level {
				f.Set(i)
			}
		}
		if f.None() {
			return
		}
		p.PeerBitfield(f)
	}
}

// pickPieces picks one block at a time, endgame duplicates excluded, and
// returns the pieces in order.
func pickPieces(p *Picker, has *bitfield.Bitfield, k int) []int {
	var out []int
	for range k {
		got := p.Pick(has, 1, func(Block) bool { return true }, nil)
		if len(got) == 0 {
			break
		}
		out = append(out, got[0].Piece)
	}
	return out
}

// complete receives and verifies every block of piece i.
func complete(t *testing.T, p *Picker, i int) {
	t.Helper()
	for b := range p.NumBlocks(i) {
		p.Received(p.block(i, b))
	}
	p.Verified(i)
	require.True(t, p.Have(i))
}
