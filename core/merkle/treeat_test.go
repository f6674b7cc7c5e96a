package merkle

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tree built from a piece layer, or from the root alone, knows the same
// nodes as the whole tree from its base up, and nothing below.
func TestNewTreeAtMatchesWholeTree(t *testing.T) {
	const pieceLength = 4 * BlockSize // 2 levels
	for _, n := range []int{5, 8, 13, 64, 65} {
		full, err := NewTree(leaves(n))
		require.NoError(t, err)
		layer, err := full.PieceLayer(pieceLength)
		require.NoError(t, err)
		require.NotNil(t, layer)
		part, err := NewTreeAt(layer, 2, full.Height())
		require.NoError(t, err)
		assert.Equal(t, full.Root(), part.Root(), "%d leaves", n)
		assert.Equal(t, 2, part.Base())
		assert.Equal(t, full.Height(), part.Height())
		got, err := part.PieceLayer(pieceLength)
		require.NoError(t, err)
		assert.Equal(t, layer, got)
		for l := 2; l <= full.Height(); l++ {
			for i := range int64(1) << (full.Height() - l) {
				want, err := full.Node(l, i)
				require.NoError(t, err)
				have, err := part.Node(l, i)
				require.NoError(t, err)
				assert.Equal(t, want, have, "layer %d index %d", l, i)
			}
		}
		_, err = part.Node(1, 0)
		assert.ErrorIs(t, err, ErrInvalid, "below the base")
		assert.Nil(t, part.Layer(0))
		_, err = part.PieceLayer(BlockSize)
		assert.ErrorIs(t, err, ErrInvalid, "a piece layer below the base")

		top, err := NewTreeAt([]Hash{full.Root()}, full.Height(), full.Height())
		require.NoError(t, err)
		assert.Equal(t, full.Root(), top.Root())
		_, err = top.Node(full.Height()-1, 0)
		assert.ErrorIs(t, err, ErrInvalid)
	}
}

func TestNewTreeAtRejects(t *testing.T) {
	one := []Hash{{1}}
	for name, c := range map[string]struct {
		nodes         []Hash
		layer, height int
	}{
		"no nodes":          {nil, 0, 1},
		"too many nodes":    {make([]Hash, 3), 1, 2},
		"layer above root":  {one, 3, 2},
		"negative layer":    {one, -1, 2},
		"negative height":   {one, 0, -1},
		"height over limit": {one, 0, MaxHeight + 1},
	} {
		_, err := NewTreeAt(c.nodes, c.layer, c.height)
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
}
