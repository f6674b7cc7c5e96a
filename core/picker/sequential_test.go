package picker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// In sequential mode new pieces start in index order whatever their
// availability, priorities first; a piece that failed its hash is picked
// again before the ones after it; off again, rarest first returns.
func TestSequential(t *testing.T) {
	const n = 12
	p := onePerPiece(n, 5)
	for i := range 4 {
		p.SetHave(i) // past the random first pieces
	}
	withAvail(p, []int{0, 0, 0, 0, 5, 4, 3, 2, 1, 1, 2, 3})
	p.SetSequential(true)
	require.True(t, p.Sequential())
	p.SetPiecePriority(10, PriorityHigh)
	p.SetPiecePriority(5, PriorityLow)
	require.Equal(t, []int{10, 4, 6, 7}, pickPieces(p, full(n), 4))
	// Piece 4 arrives but fails its hash: it is wanted again, first.
	p.Received(Block{Piece: 4, Begin: 0, Length: BlockSize})
	p.Failed(4)
	require.Equal(t, []int{4, 8, 9, 11, 5}, pickPieces(p, full(n), 5))
	require.Empty(t, pickPieces(p, bf(n, 1, 2), 1), "only pieces the peer has")

	q := onePerPiece(n, 5)
	for i := range 4 {
		q.SetHave(i)
	}
	withAvail(q, []int{0, 0, 0, 0, 5, 4, 3, 2, 1, 1, 2, 3})
	q.SetSequential(true)
	q.SetSequential(false)
	got := pickPieces(q, full(n), 2)
	require.ElementsMatch(t, []int{8, 9}, got, "rarest first again")
}
