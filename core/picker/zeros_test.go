package picker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Zero blocks are filled, not requested, when their piece is started; a
// piece of zeros only is ready to hash at once; a failed piece fills its
// zeros again.
func TestZeroBlocksFilledNotRequested(t *testing.T) {
	p := New(2, 2*BlockSize, 4*BlockSize, nil)
	p.SetZeroBlock(Block{Piece: 0, Begin: BlockSize, Length: BlockSize})
	p.SetZeroBlock(Block{Piece: 1, Begin: 0, Length: BlockSize})
	p.SetZeroBlock(Block{Piece: 1, Begin: BlockSize, Length: BlockSize})
	p.SetZeroBlock(Block{Piece: 5, Begin: 0, Length: BlockSize}) // outside: ignored
	p.PeerBitfield(full(2))

	got := p.Pick(full(2), 10, nil, nil)
	assert.Equal(t, []Block{{Piece: 0, Begin: 0, Length: BlockSize}}, got)
	fills := p.TakeZeroFills(nil)
	assert.ElementsMatch(t, []Block{{0, BlockSize, BlockSize}, {1, 0, BlockSize}, {1, BlockSize, BlockSize}}, fills)
	assert.Empty(t, p.TakeZeroFills(nil), "fills handed out twice")
	assert.True(t, p.FullyReceived(1), "a piece of zeros only waits for its hash")
	assert.False(t, p.FullyReceived(0))

	done, wanted := p.Received(got[0])
	require.True(t, wanted)
	assert.True(t, done, "the real block completes piece 0")

	p.Failed(0)
	got = p.Pick(full(2), 10, nil, nil)
	assert.Equal(t, []Block{{Piece: 0, Begin: 0, Length: BlockSize}}, got)
	assert.Equal(t, []Block{{0, BlockSize, BlockSize}}, p.TakeZeroFills(nil))
}
