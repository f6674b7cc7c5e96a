// Serving block hashes (BEP 52 hash requests below the piece layer): a
// torrent knows its files' trees from the piece layer up, so a request
// for block hashes (libtorrent asks for a piece's after it failed) is
// answered by hashing the pieces it covers on the hashing pool, checked
// against their piece hashes, then the answer is built on the worker.
// Bounded per peer, per torrent and in bytes hashed per second; beyond
// that, and for pieces we do not have, the answer is a hash reject.

package engine

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
	"golang.org/x/time/rate"
)

const (
	// maxServeBytes bounds the data one block hash request may make us
	// hash (at least a whole piece: libtorrent asks for a piece's blocks).
	maxServeBytes = 4 << 20
	// maxServingPerPeer and maxServing bound the answers being hashed.
	maxServingPerPeer = 2
	maxServing        = 8
	// serveRate is the bytes per second a torrent hashes to answer block
	// hash requests; the burst is at least a request's worth.
	serveRate = 32 << 20
)

// evBlockHashReq is a peer's hash request for hashes below the piece
// layer, which the loop has hashed from the data.
type evBlockHashReq struct {
	peer *peerConn
	msg  wire.HashMsg
}

// evBlockServed: an answer to a block hash request was queued.
type evBlockServed struct{ peer session.PeerID }

// served counts an answer as sent.
func (b *v2Blocks) served(id session.PeerID) {
	if b.serving[id] > 0 {
		b.servingN--
		if b.serving[id]--; b.serving[id] == 0 {
			delete(b.serving, id)
		}
	}
}

// serveBlockHashes answers a hash request below the piece layer, or
// rejects it.
func (t *Torrent) serveBlockHashes(p *peerConn, req *wire.HashMsg, now time.Time) {
	resp := t.hashResp.Load()
	if resp == nil || t.v2 == nil || t.sess == nil {
		p.rejectHashMsg(req)
		return
	}
	first, n, below, err := resp.BlockPieces(req)
	if err != nil || !below {
		p.rejectHashMsg(req) // Answer serves the rest on the reader
		return
	}
	b := &t.v2b
	if b.files == nil {
		b.files = make(map[merkle.Hash]int, len(t.info.FilesV2))
		for i, f := range t.info.FilesV2 {
			b.files[f.PiecesRoot] = i
		}
		b.serving = map[session.PeerID]int{}
		b.serveLim = rate.NewLimiter(serveRate, max(2*maxServeBytes, int(t.info.PieceLength)))
	}
	fi, ok := b.files[req.Root]
	pl := t.info.PieceLength
	bytes := n * pl
	if !ok || bytes > max(maxServeBytes, pl) || b.serving[p.id] >= maxServingPerPeer || b.servingN >= maxServing ||
		!knowsPieceLayer(resp, t.info.FilesV2[fi], pl) {
		p.rejectHashMsg(req)
		return
	}
	start := int(t.info.FilesV2[fi].Offset/pl + first)
	for i := range int(n) {
		if !t.sess.Have().Has(start + i) {
			p.rejectHashMsg(req)
			return
		}
	}
	if !b.serveLim.AllowN(now, int(bytes)) {
		p.rejectHashMsg(req)
		return
	}
	msg := *req
	if n == 0 { // only padding below the piece layer
		reply, _ := resp.AnswerBlocks(&msg, nil)
		p.queueHashMsg(&reply)
		return
	}
	b.serving[p.id]++
	b.servingN++
	blocks := make([][]merkle.Hash, n)
	var left atomic.Int64
	var bad atomic.Bool
	left.Store(n)
	for i := range int(n) {
		piece := start + i
		t.e.hasher.submit(hashJob{
			src: t.storage, off: t.info.PieceOffset(piece), length: t.info.PieceSize(piece),
			pieceLength: pl, want: t.want(piece),
			matched: func(hs []merkle.Hash) { blocks[i] = slices.Clone(hs) },
			done: func(ok bool, _ error) {
				if !ok {
					bad.Store(true)
				}
				if left.Add(-1) != 0 {
					return
				}
				// The last piece hashed: answer from the worker.
				reply, err := resp.AnswerBlocks(&msg, blocks)
				if bad.Load() || err != nil {
					p.rejectHashMsg(&msg)
				} else {
					p.queueHashMsg(&reply)
				}
				t.post(evBlockServed{peer: p.id})
			},
		})
	}
}

// knowsPieceLayer tells whether the Responder knows a file from its piece
// layer up (or, for a file of at most a piece, from its root): the layer
// the pieces' block hashes are checked against. A hybrid magnet's file
// known by its root alone is not (its layer is still being fetched).
func knowsPieceLayer(resp *v2hashes.Responder, f metainfo.FileV2, pieceLength int64) bool {
	tree, ok := resp.Tree(f.PiecesRoot)
	if !ok {
		return false
	}
	if f.Length <= pieceLength {
		return true
	}
	levels, err := merkle.PieceLevels(pieceLength)
	return err == nil && tree.Base() == levels
}
