package picker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A piece whose block hashes named two wrong blocks gets only those two
// back: they are picked again, the rest stays received, and receiving
// them completes the piece once more.
func TestFailedBlocksReturnsOnlyThoseBlocks(t *testing.T) {
	p := New(3, 4*BlockSize, 10*BlockSize, rngOf(7))
	p.PeerBitfield(full(3))
	has := bf(3, 1)
	blocks := p.Pick(has, 10, nil, nil)
	require.Len(t, blocks, 4)
	for _, b := range blocks {
		_, wanted := p.Received(b)
		require.True(t, wanted)
	}
	require.Empty(t, p.Pick(has, 10, nil, nil))
	p.FailedBlocks(1, []int{3, 1, 1, -1, 9}) // duplicates and strangers ignored
	require.True(t, p.InterestedIn(has))
	again := p.Pick(has, 10, nil, nil)
	require.Equal(t, []Block{blocks[1], blocks[3]}, again)
	_, wanted := p.Received(blocks[0])
	require.False(t, wanted, "a good block stays received")
	done, wanted := p.Received(blocks[1])
	require.True(t, wanted)
	require.False(t, done)
	done, wanted = p.Received(blocks[3])
	require.True(t, wanted)
	require.True(t, done, "the piece is whole again")
	p.Verified(1)
	p.FailedBlocks(1, []int{0}) // too late: verified pieces stay verified
	require.True(t, p.Have(1))
	require.Empty(t, p.Pick(has, 10, nil, nil))
}
