package merkle

// Tree is a file's Merkle tree, or the part of it from one layer up to
// the root, kept so hashes and proofs can be served to peers and checked
// against. Only real nodes are stored; padding nodes are the fixed
// PadHash of their layer. A tree built from block hashes (NewTree) knows
// every layer; one built from a piece layer or the root alone (NewTreeAt)
// knows the layers from its Base up.
type Tree struct {
	base   int      // the lowest known layer
	layers [][]Hash // layers[0] the base layer, layers[len-1] the root
}

// NewTree builds the tree over a file's block hashes (at least one).
func NewTree(leaves []Hash) (*Tree, error) {
	if len(leaves) == 0 {
		return nil, invalid("no leaves")
	}
	return NewTreeAt(leaves, 0, HeightFor(int64(len(leaves))))
}

// NewTreeAt builds the part of a tree of the given height from the real
// nodes of one layer up: a piece layer (layer PieceLevels) or the root
// alone (layer = height, one node). Nodes beyond them in that layer are
// padding.
func NewTreeAt(nodes []Hash, layer, height int) (*Tree, error) {
	switch {
	case height < 0 || height > MaxHeight:
		return nil, invalid("height %d out of range", height)
	case layer < 0 || layer > height:
		return nil, invalid("layer %d outside a tree of height %d", layer, height)
	case len(nodes) == 0 || uint64(len(nodes)) > uint64(1)<<(height-layer):
		return nil, invalid("%d nodes do not fit layer %d of a tree of height %d", len(nodes), layer, height)
	}
	t := &Tree{base: layer, layers: make([][]Hash, height-layer+1)}
	t.layers[0] = append([]Hash(nil), nodes...)
	for i := 1; i < len(t.layers); i++ {
		t.layers[i] = parentLayer(t.layers[i-1], layer+i-1)
	}
	return t, nil
}

// Height is the root's layer: log2 of the padded leaf count.
func (t *Tree) Height() int { return t.base + len(t.layers) - 1 }

// Base is the lowest layer the tree knows: 0 when built from the leaves.
func (t *Tree) Base() int { return t.base }

// Root is the file's pieces root.
func (t *Tree) Root() Hash { return t.layers[len(t.layers)-1][0] }

// NumLeaves is the number of real nodes of the base layer: the file's
// blocks for a tree built by NewTree.
func (t *Tree) NumLeaves() int { return len(t.layers[0]) }

// Node is the hash at a layer and index of the padded tree: a stored node,
// or the layer's PadHash beyond the real ones. Layers below Base are not
// known.
func (t *Tree) Node(layer int, index int64) (Hash, error) {
	if layer < t.base || layer > t.Height() {
		return Hash{}, invalid("layer %d outside layers %d..%d of the tree", layer, t.base, t.Height())
	}
	if index < 0 || index >= int64(1)<<(t.Height()-layer) {
		return Hash{}, invalid("index %d outside layer %d of a tree of height %d", index, layer, t.Height())
	}
	if nodes := t.layers[layer-t.base]; index < int64(len(nodes)) {
		return nodes[index], nil
	}
	return PadHash(layer), nil
}

// Layer returns a copy of the real nodes of one layer (nil out of range).
func (t *Tree) Layer(layer int) []Hash {
	if layer < t.base || layer > t.Height() {
		return nil
	}
	return append([]Hash(nil), t.layers[layer-t.base]...)
}

// PieceLayer is the file's piece layer for a piece length; nil when the
// file is at most one piece (its root covers it).
func (t *Tree) PieceLayer(pieceLength int64) ([]Hash, error) {
	levels, err := PieceLevels(pieceLength)
	if err != nil {
		return nil, err
	}
	if t.Height() <= levels {
		return nil, nil
	}
	if levels < t.base {
		return nil, invalid("piece layer %d is below the tree's known layers from %d", levels, t.base)
	}
	return t.Layer(levels), nil
}

// Proof is the uncle hashes from the node at (layer, index) up to the
// root: the sibling at each layer, lowest first.
func (t *Tree) Proof(layer int, index int64) ([]Hash, error) {
	if _, err := t.Node(layer, index); err != nil {
		return nil, err
	}
	out := make([]Hash, 0, t.Height()-layer)
	for l := layer; l < t.Height(); l++ {
		sib, err := t.Node(l, index^1)
		if err != nil {
			return nil, err
		}
		out = append(out, sib)
		index >>= 1
	}
	return out, nil
}

// VerifyProof reports whether node, at (layer, index) of a tree of the
// given height, hashes up to root with uncles (lowest first, one per layer
// from the node's up to just below the root).
func VerifyProof(root, node Hash, layer int, index int64, uncles []Hash, height int) bool {
	if height < 0 || height > MaxHeight || layer < 0 || layer > height ||
		len(uncles) != height-layer || index < 0 || index >= int64(1)<<(height-layer) {
		return false
	}
	return climb(node, index, uncles) == root
}

func climb(node Hash, index int64, uncles []Hash) Hash {
	for _, u := range uncles {
		if index&1 == 0 {
			node = Parent(node, u)
		} else {
			node = Parent(u, node)
		}
		index >>= 1
	}
	return node
}

// Limits of a hash request (BEP 52 message 21), as other clients apply.
const (
	MinRequestLength = 1 // libtorrent asks for one hash (16 KiB pieces, a lone last piece-layer hash)
	MaxRequestLength = 8192
)

// Request is what a hash request, hashes and hash reject message (BEP 52
// ids 21, 22, 23) name besides the pieces root: Length hashes of layer
// BaseLayer from Index on, and proof hashes for ProofLayers ancestor layers
// above the base. The first log2(Length)-1 of those are implied by the
// base hashes; each further one adds the uncle of the subtree they form
// (so a single-hash request, Length 1, carries ProofLayers+1 uncles, as
// libtorrent counts them).
type Request struct {
	BaseLayer   int
	Index       int64
	Length      int
	ProofLayers int
}

// Check validates the request against a file tree of the given height:
// Length a power of two in [MinRequestLength, MaxRequestLength], Index a
// multiple of Length inside the padded layer, and every proof layer below
// the root.
func (r Request) Check(height int) error {
	if height < 0 || height > MaxHeight {
		return invalid("tree height %d", height)
	}
	k, ok := Log2(int64(r.Length))
	switch {
	case !ok || r.Length < MinRequestLength || r.Length > MaxRequestLength:
		return invalid("length %d: not a power of two in [%d, %d]", r.Length, MinRequestLength, MaxRequestLength)
	case r.BaseLayer < 0 || r.BaseLayer > MaxHeight || r.BaseLayer+k > height:
		return invalid("base layer %d with length %d outside a tree of height %d", r.BaseLayer, r.Length, height)
	case r.Index < 0 || r.Index%int64(r.Length) != 0 || r.Index > int64(1)<<(height-r.BaseLayer)-int64(r.Length):
		return invalid("index %d with length %d outside layer %d", r.Index, r.Length, r.BaseLayer)
	case r.ProofLayers < 0 || r.ProofLayers > MaxHeight || r.BaseLayer+r.ProofLayers >= height:
		return invalid("%d proof layers above layer %d reach past the root of height %d", r.ProofLayers, r.BaseLayer, height)
	}
	return nil
}

// NumUncles is how many proof hashes follow the base hashes. Check first.
func (r Request) NumUncles() int {
	k, _ := Log2(int64(r.Length))
	return max(0, r.ProofLayers-(k-1))
}

// Hashes answers a request: the base hashes followed by the uncle hashes,
// lowest first, as the hashes message carries them.
func (t *Tree) Hashes(r Request) ([]Hash, error) {
	return HashesFrom(r, t.Height(), t.Node)
}

// HashesFrom answers a request on a tree of the given height whose nodes
// node yields (by layer and index in the padded tree): what Hashes does
// for a Tree, for an answer drawn from more than one source (a piece's
// block hashes below a known piece layer).
func HashesFrom(r Request, height int, node func(layer int, index int64) (Hash, error)) ([]Hash, error) {
	if err := r.Check(height); err != nil {
		return nil, err
	}
	out := make([]Hash, 0, r.Length+r.NumUncles())
	for i := range int64(r.Length) {
		h, err := node(r.BaseLayer, r.Index+i)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	k, _ := Log2(int64(r.Length))
	layer, index := r.BaseLayer+k, r.Index>>k
	for range r.NumUncles() {
		sib, err := node(layer, index^1)
		if err != nil {
			return nil, err
		}
		out = append(out, sib)
		layer, index = layer+1, index>>1
	}
	return out, nil
}

// ProofTop hashes the answer to a request (base hashes then uncles) up as
// far as its uncles go, and returns the node it proves with its place:
// the caller compares it with a node it already trusts.
func (r Request) ProofTop(height int, hashes []Hash) (node Hash, layer int, index int64, err error) {
	if err := r.Check(height); err != nil {
		return Hash{}, 0, 0, err
	}
	if want := r.Length + r.NumUncles(); len(hashes) != want {
		return Hash{}, 0, 0, invalid("%d hashes, want %d", len(hashes), want)
	}
	k, _ := Log2(int64(r.Length))
	sub, err := SubtreeRoot(hashes[:r.Length], r.BaseLayer, k)
	if err != nil {
		return Hash{}, 0, 0, err
	}
	uncles := hashes[r.Length:]
	index = r.Index >> k
	return climb(sub, index, uncles), r.BaseLayer + k + len(uncles), index >> len(uncles), nil
}

// VerifyHashes checks the answer to a request against the file's pieces
// root: the uncles must reach it.
func VerifyHashes(root Hash, height int, r Request, hashes []Hash) error {
	top, layer, _, err := r.ProofTop(height, hashes)
	switch {
	case err != nil:
		return err
	case layer != height:
		return invalid("proof reaches layer %d, not the root at %d", layer, height)
	case top != root:
		return invalid("hashes do not match the pieces root")
	}
	return nil
}
