package merkle

import (
	"crypto/sha256"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leaves returns n distinct leaf hashes.
func leaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		out[i] = BlockHash([]byte("block " + strconv.Itoa(i)))
	}
	return out
}

// naiveRoot pads the leaves to a power of two with zero hashes and hashes
// pairs layer by layer: BEP 52's definition, spelled out.
func naiveRoot(ls []Hash) Hash {
	width := 1
	for width < len(ls) {
		width *= 2
	}
	layer := make([]Hash, width)
	copy(layer, ls)
	for len(layer) > 1 {
		next := make([]Hash, len(layer)/2)
		for i := range next {
			next[i] = sha256.Sum256(append(append([]byte(nil), layer[2*i][:]...), layer[2*i+1][:]...))
		}
		layer = next
	}
	return layer[0]
}

func TestPadHash(t *testing.T) {
	assert.Equal(t, Hash{}, PadHash(0), "pad leaves are all-zero hashes")
	assert.Equal(t, Hash(sha256.Sum256(make([]byte, 64))), PadHash(1))
	assert.Equal(t, Parent(PadHash(1), PadHash(1)), PadHash(2))
	assert.Equal(t, naiveRoot(make([]Hash, 8)), PadHash(3))
	assert.Equal(t, Hash{}, PadHash(-1))
	assert.Equal(t, Hash{}, PadHash(MaxHeight+1))
}

func TestSizes(t *testing.T) {
	for length, want := range map[int64]int64{-1: 0, 0: 0, 1: 1, BlockSize: 1, BlockSize + 1: 2, 3 * BlockSize: 3} {
		assert.Equal(t, want, NumBlocks(length), "length %d", length)
	}
	for n, want := range map[int64]int{0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 1 << 40: 40, 1<<40 + 1: 41} {
		assert.Equal(t, want, HeightFor(n), "n %d", n)
	}
	for _, bad := range []int64{0, -16384, 8192, 3 << 14, 1<<14 + 1} {
		_, err := PieceLevels(bad)
		assert.ErrorIs(t, err, ErrInvalid, "%d", bad)
	}
	l, err := PieceLevels(BlockSize)
	require.NoError(t, err)
	assert.Equal(t, 0, l)
	l, err = PieceLevels(4 << 20)
	require.NoError(t, err)
	assert.Equal(t, 8, l)
}

func TestFileRoot(t *testing.T) {
	one := BlockHash([]byte("only block"))
	r, err := FileRoot([]Hash{one})
	require.NoError(t, err)
	assert.Equal(t, one, r, "a single-block file's root is its block hash")

	ls := leaves(3)
	r, err = FileRoot(ls)
	require.NoError(t, err)
	assert.Equal(t, Parent(Parent(ls[0], ls[1]), Parent(ls[2], Hash{})), r, "odd leaf counts pad with zero leaves")

	for n := 1; n <= 40; n++ {
		ls := leaves(n)
		r, err := FileRoot(ls)
		require.NoError(t, err)
		assert.Equal(t, naiveRoot(ls), r, "%d leaves", n)
		tree, err := NewTree(ls)
		require.NoError(t, err)
		assert.Equal(t, r, tree.Root(), "%d leaves", n)
		assert.Equal(t, HeightFor(int64(n)), tree.Height())
		assert.Equal(t, n, tree.NumLeaves())
	}

	_, err = FileRoot(nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewTree(nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = SubtreeRoot(leaves(5), 0, 2)
	assert.ErrorIs(t, err, ErrInvalid, "5 nodes do not fit 4 slots")
	_, err = SubtreeRoot(leaves(1), 40, 20)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestPieceLayer(t *testing.T) {
	const piece = 4 * BlockSize // 4 blocks per piece
	for n := 1; n <= 21; n++ {
		ls := leaves(n)
		root, err := FileRoot(ls)
		require.NoError(t, err)
		layer, err := PieceLayer(ls, piece)
		require.NoError(t, err)
		tree, err := NewTree(ls)
		require.NoError(t, err)
		fromTree, err := tree.PieceLayer(piece)
		require.NoError(t, err)
		assert.Equal(t, layer, fromTree, "%d leaves", n)
		fileLen := int64(n) * BlockSize
		if n <= 4 {
			assert.Nil(t, layer, "a file of at most one piece has no piece layer")
			_, err := LayerRoot([]Hash{root}, piece, fileLen)
			assert.ErrorIs(t, err, ErrInvalid)
			if n == 4 {
				pr, err := PieceRoot(ls, piece)
				require.NoError(t, err)
				assert.Equal(t, root, pr, "a file of exactly one piece: its root is the piece's node")
			}
			continue
		}
		require.Len(t, layer, (n+3)/4)
		got, err := LayerRoot(layer, piece, fileLen)
		require.NoError(t, err)
		assert.Equal(t, root, got, "%d leaves: the padded piece layer hashes to the root", n)
		// The last block may be short: the layer length follows bytes.
		got, err = LayerRoot(layer, piece, fileLen-BlockSize+1)
		require.NoError(t, err)
		assert.Equal(t, root, got)
		_, err = LayerRoot(layer[1:], piece, fileLen)
		assert.ErrorIs(t, err, ErrInvalid, "one hash per piece")

		for p := range layer {
			blocks := ls[p*4 : min(p*4+4, n)]
			assert.True(t, VerifyPiece(blocks, piece, layer[p]), "piece %d of %d leaves", p, n)
			bad := append([]Hash(nil), blocks...)
			bad[len(bad)-1][0] ^= 1
			assert.False(t, VerifyPiece(bad, piece, layer[p]), "tampered block")
			if len(blocks) > 1 {
				assert.False(t, VerifyPiece(blocks[:len(blocks)-1], piece, layer[p]), "missing block")
			}
		}
	}
	assert.False(t, VerifyPiece(leaves(5), 4*BlockSize, Hash{}), "more blocks than a piece holds")
	assert.False(t, VerifyPiece(leaves(1), 3*BlockSize, Hash{}), "bad piece length")
}

// A file smaller than a piece: its tree is padded to its own leaves, not
// to the piece, so its root differs from a piece-sized node over them.
func TestSmallFileRoot(t *testing.T) {
	ls := leaves(3)
	root, err := FileRoot(ls)
	require.NoError(t, err)
	piece, err := PieceRoot(ls, 8*BlockSize)
	require.NoError(t, err)
	assert.NotEqual(t, root, piece)
	assert.Equal(t, Parent(root, PadHash(2)), piece)
}

func TestProofsOfEveryNode(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 11, 16} {
		tree, err := NewTree(leaves(n))
		require.NoError(t, err)
		h := tree.Height()
		for layer := 0; layer <= h; layer++ {
			for idx := int64(0); idx < int64(1)<<(h-layer); idx++ {
				node, err := tree.Node(layer, idx)
				require.NoError(t, err)
				if idx >= int64(len(tree.Layer(layer))) {
					assert.Equal(t, PadHash(layer), node, "padding node")
				}
				proof, err := tree.Proof(layer, idx)
				require.NoError(t, err)
				require.Len(t, proof, h-layer)
				assert.True(t, VerifyProof(tree.Root(), node, layer, idx, proof, h), "n=%d layer %d index %d", n, layer, idx)

				for u := range proof {
					bad := append([]Hash(nil), proof...)
					bad[u][31] ^= 0x80
					assert.False(t, VerifyProof(tree.Root(), node, layer, idx, bad, h), "tampered uncle %d", u)
				}
				wrong := node
				wrong[0] ^= 1
				assert.False(t, VerifyProof(tree.Root(), wrong, layer, idx, proof, h), "tampered node")
				if h-layer > 0 {
					if proof[0] != node { // two padding siblings are interchangeable
						assert.False(t, VerifyProof(tree.Root(), node, layer, idx^1, proof, h), "wrong index")
					}
					assert.False(t, VerifyProof(tree.Root(), node, layer, idx, proof[1:], h), "short proof")
				}
				assert.False(t, VerifyProof(tree.Root(), node, layer, idx, append(proof, Hash{}), h), "long proof")
			}
		}
		_, err = tree.Node(0, int64(1)<<h)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = tree.Node(h+1, 0)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = tree.Proof(-1, 0)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Nil(t, tree.Layer(h+1))
	}
	assert.False(t, VerifyProof(Hash{}, Hash{}, 0, -1, nil, 0))
	assert.False(t, VerifyProof(Hash{}, Hash{}, 0, 0, nil, MaxHeight+1))
}

// Every valid request on a small tree is answered, verifies against the
// root when its uncles reach it, proves the right node otherwise, and
// fails once any hash is changed.
func TestHashRequests(t *testing.T) {
	tree, err := NewTree(leaves(13)) // height 4: 16 leaf slots, 3 of them padding
	require.NoError(t, err)
	h := tree.Height()
	served := 0
	for base := 0; base < h; base++ {
		for length := 1; length <= 1<<(h-base); length *= 2 {
			for index := int64(0); index < int64(1)<<(h-base); index += int64(length) {
				for proof := 0; base+proof < h; proof++ {
					r := Request{BaseLayer: base, Index: index, Length: length, ProofLayers: proof}
					require.NoError(t, r.Check(h), "%+v", r)
					hashes, err := tree.Hashes(r)
					require.NoError(t, err)
					require.Len(t, hashes, r.Length+r.NumUncles())
					for i := range length {
						want, err := tree.Node(base, index+int64(i))
						require.NoError(t, err)
						assert.Equal(t, want, hashes[i])
					}
					top, layer, idx, err := r.ProofTop(h, hashes)
					require.NoError(t, err)
					want, err := tree.Node(layer, idx)
					require.NoError(t, err)
					assert.Equal(t, want, top, "%+v proves its top node", r)
					if layer == h {
						assert.NoError(t, VerifyHashes(tree.Root(), h, r, hashes), "%+v", r)
					} else {
						assert.ErrorIs(t, VerifyHashes(tree.Root(), h, r, hashes), ErrInvalid, "%+v stops below the root", r)
					}
					served++
					if layer != h {
						continue
					}
					for i := range hashes {
						bad := append([]Hash(nil), hashes...)
						bad[i][7] ^= 4
						assert.ErrorIs(t, VerifyHashes(tree.Root(), h, r, bad), ErrInvalid, "%+v hash %d tampered", r, i)
					}
					assert.ErrorIs(t, VerifyHashes(tree.Root(), h, r, hashes[1:]), ErrInvalid)
					assert.ErrorIs(t, VerifyHashes(tree.Root(), h, r, append(hashes, Hash{})), ErrInvalid)
				}
			}
		}
	}
	assert.Greater(t, served, 50)

	// Uncles: the first log2(length)-1 proof layers are implied.
	assert.Equal(t, 3, Request{Length: 2, ProofLayers: 3}.NumUncles())
	assert.Equal(t, 1, Request{Length: 8, ProofLayers: 3}.NumUncles())
	assert.Equal(t, 0, Request{Length: 8, ProofLayers: 1}.NumUncles())
}

func TestRequestCheck(t *testing.T) {
	const h = 10
	ok := Request{BaseLayer: 2, Index: 4, Length: 4, ProofLayers: 7}
	require.NoError(t, ok.Check(h))
	bad := map[string]Request{
		"length 0":                 {Length: 0},
		"length not pow2":          {Length: 6},
		"length over limit":        {Length: 2 * MaxRequestLength},
		"negative base":            {BaseLayer: -1, Length: 2},
		"base at root":             {BaseLayer: h, Length: 2},
		"single at root":           {BaseLayer: h, Length: 1},
		"huge base":                {BaseLayer: 1 << 62, Length: 2},
		"negative index":           {Index: -2, Length: 2},
		"unaligned index":          {Index: 2, Length: 4},
		"index past layer":         {Index: 1 << h, Length: 2},
		"index overflows":          {Index: 1<<63 - 2, Length: 2},
		"negative proof":           {Length: 2, ProofLayers: -1},
		"proof reaches root":       {Length: 2, ProofLayers: h},
		"proof overflows":          {BaseLayer: 1, Length: 2, ProofLayers: 1<<63 - 1},
		"request wider than layer": {BaseLayer: h - 1, Length: 4},
	}
	for name, r := range bad {
		assert.ErrorIs(t, r.Check(h), ErrInvalid, name)
		_, _, _, err := r.ProofTop(h, make([]Hash, 4))
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
	assert.ErrorIs(t, ok.Check(-1), ErrInvalid)
	assert.ErrorIs(t, ok.Check(MaxHeight+1), ErrInvalid)
	tree, err := NewTree(leaves(3))
	require.NoError(t, err)
	_, err = tree.Hashes(ok)
	assert.ErrorIs(t, err, ErrInvalid, "the tree is too small for the request")
}

func FuzzVerifyHashes(f *testing.F) {
	f.Add(uint8(4), 0, int64(0), 2, 3, uint16(0), []byte{})
	f.Add(uint8(4), 1, int64(4), 4, 2, uint16(100), []byte("x"))
	f.Add(uint8(3), 0, int64(6), 2, 2, uint16(31), []byte{1, 2, 3})
	f.Add(uint8(60), -1, int64(-5), 3, 99, uint16(0), make([]byte, 64))
	f.Fuzz(func(t *testing.T, leafCount uint8, base int, index int64, length, proof int, flip uint16, raw []byte) {
		r := Request{BaseLayer: base, Index: index, Length: length, ProofLayers: proof}
		// Arbitrary hashes against an arbitrary root never panic.
		junk := make([]Hash, len(raw)/HashSize)
		for i := range junk {
			copy(junk[i][:], raw[i*HashSize:])
		}
		_ = VerifyHashes(Hash{}, int(leafCount)%(MaxHeight+2)-1, r, junk)
		_, _, _, _ = r.ProofTop(int(leafCount)%8, junk)

		// An honest answer verifies; one flipped bit does not.
		tree, err := NewTree(leaves(int(leafCount)%40 + 1))
		require.NoError(t, err)
		hashes, err := tree.Hashes(r)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		top, layer, idx, err := r.ProofTop(tree.Height(), hashes)
		require.NoError(t, err)
		want, err := tree.Node(layer, idx)
		require.NoError(t, err)
		require.Equal(t, want, top)
		if layer != tree.Height() {
			return
		}
		require.NoError(t, VerifyHashes(tree.Root(), tree.Height(), r, hashes))
		bit := int(flip) % (len(hashes) * HashSize * 8)
		hashes[bit/(HashSize*8)][bit/8%HashSize] ^= 1 << (bit % 8)
		require.ErrorIs(t, VerifyHashes(tree.Root(), tree.Height(), r, hashes), ErrInvalid)
	})
}
