// Package v2hashes serves and checks the Merkle tree hashes BitTorrent v2
// peers exchange (BEP 52 hash request, hashes and hash reject messages).
//
// A Responder answers a peer's hash request from the file trees Braid
// knows; Verify checks a peer's hashes message against a tree Braid
// trusts and yields the hashes it proves. Both are pure and deterministic:
// the engine owns the messages' timing, rate limits and bans.
package v2hashes

import (
	"errors"
	"fmt"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/wire"
)

// ErrRejected: a hash request Braid answers with a hash reject, because
// the root is not one of its files or the range is not in the tree (or
// not known yet).
var ErrRejected = errors.New("v2hashes: request rejected")

// ErrBadHashes: a hashes message that does not prove what it claims, or
// does not answer the request it names. A peer sending one is lying.
var ErrBadHashes = errors.New("v2hashes: bad hashes")

// Request is the tree range a hash message names.
func Request(m *wire.HashMsg) merkle.Request {
	return merkle.Request{
		BaseLayer:   int(m.BaseLayer),
		Index:       int64(m.Index),
		Length:      int(m.Length),
		ProofLayers: int(m.ProofLayers),
	}
}

// Same reports whether two hash messages name the same range of the same
// tree: how a hashes or hash reject message is matched with the request
// it answers.
func Same(a, b *wire.HashMsg) bool {
	return a.Root == b.Root && a.BaseLayer == b.BaseLayer && a.Index == b.Index &&
		a.Length == b.Length && a.ProofLayers == b.ProofLayers
}

// Responder answers hash requests from the trees of a torrent's files,
// found by their pieces roots. It holds whatever part of each tree is
// known: the whole tree once a file's blocks are hashed (merkle.NewTree),
// the part from the piece layer up from a .torrent's piece layers
// (merkle.NewTreeAt).
type Responder struct {
	trees map[merkle.Hash]*merkle.Tree
}

// NewResponder makes a Responder for the given trees.
func NewResponder(trees ...*merkle.Tree) *Responder {
	r := &Responder{trees: make(map[merkle.Hash]*merkle.Tree, len(trees))}
	for _, t := range trees {
		r.Add(t)
	}
	return r
}

// Add makes a tree known, replacing a known part of the same file's tree
// (as a whole tree replaces one known from its piece layer). A tree with
// a lower base wins over one with a higher base.
func (r *Responder) Add(t *merkle.Tree) {
	if t == nil {
		return
	}
	if old, ok := r.trees[t.Root()]; ok && old.Base() <= t.Base() {
		return
	}
	r.trees[t.Root()] = t
}

// Tree returns the known tree of the file with the given pieces root.
func (r *Responder) Tree(root merkle.Hash) (*merkle.Tree, bool) {
	t, ok := r.trees[root]
	return t, ok
}

// Answer builds the reply to a hash request: a hashes message carrying
// the base hashes and their uncles, or, with an error wrapping
// ErrRejected, the hash reject to send instead. The reply is at most
// wire.MaxHashesPayload bytes (the wire bounds the request).
func (r *Responder) Answer(req *wire.HashMsg) (wire.HashMsg, error) {
	reply := *req
	reply.Type = wire.HashReject
	reply.Hashes = nil
	if req.Type != wire.HashRequest {
		return reply, fmt.Errorf("v2hashes: answer a %s: %w", req.Type, ErrRejected)
	}
	t, ok := r.trees[req.Root]
	if !ok {
		return reply, fmt.Errorf("v2hashes: pieces root %x is not a file of this torrent: %w", req.Root[:4], ErrRejected)
	}
	hashes, err := t.Hashes(Request(req))
	if err != nil {
		return reply, fmt.Errorf("v2hashes: %w: %w", err, ErrRejected)
	}
	return hashesReply(reply, hashes), nil
}

// Verify checks a hashes message against the trusted part of its file's
// tree (the root alone, a piece layer, or more; its root must be the
// message's): the base hashes with their uncles must hash up to a node
// the tree knows. It returns the Length base hashes the message proves.
// Errors wrap ErrBadHashes.
func Verify(known *merkle.Tree, m *wire.HashMsg) ([]merkle.Hash, error) {
	if m.Type != wire.Hashes {
		return nil, fmt.Errorf("v2hashes: verify a %s: %w", m.Type, ErrBadHashes)
	}
	if known == nil || known.Root() != merkle.Hash(m.Root) {
		return nil, fmt.Errorf("v2hashes: hashes for pieces root %x, not the file's: %w", m.Root[:4], ErrBadHashes)
	}
	r := Request(m)
	if len(m.Hashes)%merkle.HashSize != 0 {
		return nil, fmt.Errorf("v2hashes: %d bytes of hashes: not whole hashes: %w", len(m.Hashes), ErrBadHashes)
	}
	hashes := make([]merkle.Hash, len(m.Hashes)/merkle.HashSize)
	for i := range hashes {
		copy(hashes[i][:], m.Hashes[i*merkle.HashSize:])
	}
	top, layer, index, err := r.ProofTop(known.Height(), hashes)
	if err != nil {
		return nil, fmt.Errorf("v2hashes: %w: %w", err, ErrBadHashes)
	}
	if layer < known.Base() {
		return nil, fmt.Errorf("v2hashes: proof stops at layer %d, below the known layers from %d: %w", layer, known.Base(), ErrBadHashes)
	}
	want, err := known.Node(layer, index)
	if err != nil {
		return nil, fmt.Errorf("v2hashes: %w: %w", err, ErrBadHashes)
	}
	if top != want {
		return nil, fmt.Errorf("v2hashes: hashes of layer %d from %d do not hash to the known node: %w", r.BaseLayer, r.Index, ErrBadHashes)
	}
	return hashes[:r.Length], nil
}

// hashesReply turns reply into the hashes message carrying hashes.
func hashesReply(reply wire.HashMsg, hashes []merkle.Hash) wire.HashMsg {
	reply.Type = wire.Hashes
	reply.Hashes = make([]byte, 0, len(hashes)*merkle.HashSize)
	for _, h := range hashes {
		reply.Hashes = append(reply.Hashes, h[:]...)
	}
	return reply
}
