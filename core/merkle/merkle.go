// Package merkle computes and checks the per-file SHA-256 Merkle trees of
// BitTorrent v2 (BEP 52).
//
// A file is cut into 16 KiB blocks; each block's SHA-256 is a leaf. The
// leaf layer is padded to a power of two with all-zero hashes, and every
// node above is the SHA-256 of its two children, so a padded subtree of
// height h has the fixed hash PadHash(h). The root is the file's "pieces
// root"; the layer whose nodes each cover one piece is its piece layer.
//
// Layers are numbered from the leaves (layer 0) up to the root (layer
// Height). Every function here is pure and bounds its inputs: bad sizes,
// indices or proofs are errors wrapping ErrInvalid, never a panic.
package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// BlockSize is the leaf granularity: the bytes hashed into one leaf.
const BlockSize = 16 << 10

// HashSize is the length of every node hash (SHA-256).
const HashSize = sha256.Size

// MaxHeight bounds tree heights: 2^MaxHeight leaves of BlockSize bytes is
// beyond any file length an int64 can hold.
const MaxHeight = 50

// Hash is one node of a tree.
type Hash [HashSize]byte

// ErrInvalid: sizes, indices or hashes that do not describe a valid tree
// or proof. Every error of this package wraps it.
var ErrInvalid = errors.New("merkle: invalid input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("merkle: "+format+": %w", append(args, ErrInvalid)...)
}

// padHashes[h] is the root of a subtree of height h whose leaves are all
// padding (zero hashes).
var padHashes = func() (p [MaxHeight + 1]Hash) {
	for h := 1; h <= MaxHeight; h++ {
		p[h] = Parent(p[h-1], p[h-1])
	}
	return p
}()

// BlockHash is the leaf hash of one block (at most BlockSize bytes; the
// last block of a file may be shorter and is hashed as it is).
func BlockHash(block []byte) Hash { return sha256.Sum256(block) }

// Parent is the hash of an inner node from its two children.
func Parent(left, right Hash) Hash {
	var b [2 * HashSize]byte
	copy(b[:HashSize], left[:])
	copy(b[HashSize:], right[:])
	return sha256.Sum256(b[:])
}

// PadHash is the hash of a node at the given layer whose leaves are all
// padding: the zero hash at layer 0. Out-of-range layers give the zero hash.
func PadHash(layer int) Hash {
	if layer < 0 || layer > MaxHeight {
		return Hash{}
	}
	return padHashes[layer]
}

// NumBlocks is the number of leaves of a file of length bytes (0 for an
// empty file, which has no tree).
func NumBlocks(length int64) int64 {
	if length <= 0 {
		return 0
	}
	return (length-1)/BlockSize + 1
}

// HeightFor is the height of a tree over n leaves: the smallest h with
// 2^h >= n (0 for n <= 1).
func HeightFor(n int64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(uint64(n - 1))
}

// Log2 returns k when n == 2^k, and false when n is not a positive power
// of two.
func Log2(n int64) (int, bool) {
	if n <= 0 || n&(n-1) != 0 {
		return 0, false
	}
	return bits.TrailingZeros64(uint64(n)), true
}

// SubtreeRoot hashes nodes of one layer up by levels layers: nodes are the
// leftmost nodes of a subtree whose lower layer holds 2^levels slots, the
// rest being padding of that layer. levels 0 takes the single node as it is.
func SubtreeRoot(nodes []Hash, layer, levels int) (Hash, error) {
	if layer < 0 || levels < 0 || layer+levels > MaxHeight {
		return Hash{}, invalid("layer %d plus %d levels out of range", layer, levels)
	}
	if len(nodes) == 0 || uint64(len(nodes)) > uint64(1)<<levels {
		return Hash{}, invalid("%d nodes do not fit %d levels", len(nodes), levels)
	}
	cur := nodes
	for l := layer; l < layer+levels; l++ {
		cur = parentLayer(cur, l)
	}
	return cur[0], nil
}

// parentLayer hashes the nodes of layer l in pairs into the layer above;
// an odd last node pairs with layer l's padding.
func parentLayer(below []Hash, l int) []Hash {
	pad := PadHash(l)
	up := make([]Hash, (len(below)+1)/2)
	for i := range up {
		right := pad
		if 2*i+1 < len(below) {
			right = below[2*i+1]
		}
		up[i] = Parent(below[2*i], right)
	}
	return up
}

// FileRoot is the pieces root of a file from its block hashes (in order,
// at least one).
func FileRoot(blocks []Hash) (Hash, error) {
	if len(blocks) == 0 {
		return Hash{}, invalid("no blocks")
	}
	return SubtreeRoot(blocks, 0, HeightFor(int64(len(blocks))))
}

// PieceLevels is the layer of the piece layer for a piece length: log2 of
// the blocks per piece. The piece length must be a power of two of at
// least BlockSize.
func PieceLevels(pieceLength int64) (int, error) {
	k, ok := Log2(pieceLength)
	if !ok || pieceLength < BlockSize || k-14 > MaxHeight {
		return 0, invalid("piece length %d: not a power of two of at least %d", pieceLength, BlockSize)
	}
	return k - 14, nil // BlockSize is 2^14
}

// PieceRoot is the node of the piece layer covering one piece: the hashes
// of its blocks (at most blocks per piece; the last piece of a file may
// have fewer, the rest being padding). For a file of at most one piece
// there is no piece layer and the file's root (FileRoot) takes its place.
func PieceRoot(blocks []Hash, pieceLength int64) (Hash, error) {
	levels, err := PieceLevels(pieceLength)
	if err != nil {
		return Hash{}, err
	}
	return SubtreeRoot(blocks, 0, levels)
}

// VerifyPiece reports whether the block hashes of one piece hash up to
// the piece-layer hash want (see PieceRoot).
func VerifyPiece(blocks []Hash, pieceLength int64, want Hash) bool {
	got, err := PieceRoot(blocks, pieceLength)
	return err == nil && got == want
}

// PieceLayer is the piece layer of a file from all its block hashes:
// one PieceRoot per piece. A file of at most one piece has none (nil).
func PieceLayer(blocks []Hash, pieceLength int64) ([]Hash, error) {
	levels, err := PieceLevels(pieceLength)
	if err != nil {
		return nil, err
	}
	per := 1 << levels
	if len(blocks) <= per {
		return nil, nil
	}
	out := make([]Hash, 0, (len(blocks)+per-1)/per)
	for i := 0; i < len(blocks); i += per {
		r, err := SubtreeRoot(blocks[i:min(i+per, len(blocks))], 0, levels)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// LayerRoot is the root of a file of fileLength bytes from its piece
// layer, padded with the pad hash of the piece layer: what a torrent's
// piece layers entry must hash up to. The layer must have exactly one
// hash per piece, and the file must be longer than one piece.
func LayerRoot(layer []Hash, pieceLength, fileLength int64) (Hash, error) {
	levels, err := PieceLevels(pieceLength)
	if err != nil {
		return Hash{}, err
	}
	if fileLength <= pieceLength {
		return Hash{}, invalid("file of %d bytes has no piece layer at piece length %d", fileLength, pieceLength)
	}
	pieces := (fileLength-1)/pieceLength + 1
	if int64(len(layer)) != pieces {
		return Hash{}, invalid("piece layer of %d hashes, want %d", len(layer), pieces)
	}
	height := HeightFor(NumBlocks(fileLength))
	return SubtreeRoot(layer, levels, height-levels)
}
