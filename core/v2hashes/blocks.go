package v2hashes

import (
	"fmt"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/wire"
)

// BlockPieces tells whether a hash request names layers below what the
// Responder knows of its file's tree (block hashes, below a piece layer
// known from a .torrent): such a request can only be answered from the
// file's data. It returns the pieces whose block hashes the answer needs,
// as indices into the known base layer (a piece of the file, or the whole
// file for one of at most a piece): n of them from first. Covered nodes
// past the file's real pieces are padding and need none, so n may be 0.
// below is false when Answer serves the request alone. Errors wrap
// ErrRejected.
func (r *Responder) BlockPieces(req *wire.HashMsg) (first, n int64, below bool, err error) {
	t, ok := r.trees[req.Root]
	if !ok {
		return 0, 0, false, fmt.Errorf("v2hashes: pieces root %x is not a file of this torrent: %w", req.Root[:4], ErrRejected)
	}
	rq := Request(req)
	if err := rq.Check(t.Height()); err != nil {
		return 0, 0, false, fmt.Errorf("v2hashes: %w: %w", err, ErrRejected)
	}
	if rq.BaseLayer >= t.Base() {
		return 0, 0, false, nil
	}
	shift := t.Base() - rq.BaseLayer
	first = rq.Index >> shift
	last := min((rq.Index+int64(rq.Length)-1)>>shift, int64(t.NumLeaves())-1)
	return first, max(0, last-first+1), true, nil
}

// AnswerBlocks answers a request BlockPieces found below the known
// layers, given blocks[i], the SHA-256 hashes of the real 16 KiB blocks
// of piece first+i (as the file's data hashes now). Each piece's blocks
// must hash to its known node, so hashes of data that changed on disk are
// never served: such an answer is an error wrapping ErrRejected, as is
// any other failure (the hash reject to send is returned with it).
func (r *Responder) AnswerBlocks(req *wire.HashMsg, blocks [][]merkle.Hash) (wire.HashMsg, error) {
	reply := *req
	reply.Type = wire.HashReject
	reply.Hashes = nil
	first, n, below, err := r.BlockPieces(req)
	switch {
	case err != nil:
		return reply, err
	case !below:
		return r.Answer(req)
	case int64(len(blocks)) != n:
		return reply, fmt.Errorf("v2hashes: block hashes of %d pieces, want %d: %w", len(blocks), n, ErrRejected)
	}
	t := r.trees[req.Root]
	base := t.Base()
	subs := make([]*merkle.Tree, n)
	for i, hs := range blocks {
		sub, err := merkle.NewTreeAt(hs, 0, base)
		if err != nil {
			return reply, fmt.Errorf("v2hashes: piece %d: %w: %w", first+int64(i), err, ErrRejected)
		}
		if want, _ := t.Node(base, first+int64(i)); sub.Root() != want {
			return reply, fmt.Errorf("v2hashes: piece %d: block hashes do not hash to its piece hash: %w", first+int64(i), ErrRejected)
		}
		subs[i] = sub
	}
	real := int64(t.NumLeaves())
	node := func(layer int, index int64) (merkle.Hash, error) {
		if layer >= base {
			return t.Node(layer, index)
		}
		shift := base - layer
		piece := index >> shift
		switch {
		case piece >= first && piece < first+n:
			return subs[piece-first].Node(layer, index-piece<<shift)
		case piece >= real:
			return merkle.PadHash(layer), nil
		}
		return merkle.Hash{}, fmt.Errorf("v2hashes: node %d of layer %d is in piece %d, not hashed", index, layer, piece)
	}
	hashes, err := merkle.HashesFrom(Request(req), t.Height(), node)
	if err != nil {
		return reply, fmt.Errorf("v2hashes: %w: %w", err, ErrRejected)
	}
	return hashesReply(reply, hashes), nil
}
