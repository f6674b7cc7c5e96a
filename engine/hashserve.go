// BEP 52 hash messages: a v2 or hybrid torrent answers a peer's hash
// request (21) with hashes (22) or a hash reject (23) from its files'
// trees; hashes and rejects answering our own requests go to the loop.

package engine

import (
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
	"golang.org/x/time/rate"
)

const (
	// hashMsgRate and hashMsgBurst bound the hash messages a peer may
	// send: requests beyond them are rejected unanswered by any tree, and
	// hashes or rejects beyond them are dropped. libtorrent asks for a
	// piece layer 512 hashes at a time and for a piece's block hashes
	// only after the piece failed, far below this.
	hashMsgRate  = 100 // per second
	hashMsgBurst = 256
)

// evHashMsg is a hashes or hash reject message from a peer, its hashes
// copied out of the read buffer.
type evHashMsg struct {
	peer *peerConn
	msg  wire.HashMsg
}

func newHashLimiter() *rate.Limiter { return rate.NewLimiter(hashMsgRate, hashMsgBurst) }

// newHashResponder makes the Responder of a v2 or hybrid torrent (nil for
// v1): each file longer than a piece is known from its piece layer up,
// a file of at most a piece by its root alone.
func newHashResponder(info *metainfo.Info, layers map[merkle.Hash][]merkle.Hash) *v2hashes.Responder {
	if info == nil || !info.HasV2() {
		return nil
	}
	r := v2hashes.NewResponder()
	levels, err := merkle.PieceLevels(info.PieceLength)
	if err != nil {
		return r
	}
	for _, f := range info.FilesV2 {
		if f.Length == 0 {
			continue
		}
		height := v2hashes.TreeHeight(f.Length)
		var tree *merkle.Tree
		if layer, ok := layers[f.PiecesRoot]; ok && f.Length > info.PieceLength {
			tree, err = merkle.NewTreeAt(layer, levels, height)
		} else {
			tree, err = merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, height, height)
		}
		if err == nil && tree.Root() == f.PiecesRoot {
			r.Add(tree)
		}
	}
	return r
}

// isHashMsg reports whether a message type is one of BEP 52's three.
func isHashMsg(t wire.MsgType) bool {
	return t == wire.HashRequest || t == wire.Hashes || t == wire.HashReject
}

// onHashMsg handles a hash message on the peer's reader goroutine, while
// its payload is still in the read buffer: a request is answered here
// from the torrent's Responder (read-only once published); hashes and
// rejects are copied and posted to the loop. A malformed message is an
// error (the peer is dropped); false when the torrent has stopped.
func (p *peerConn) onHashMsg(m *wire.Message, now time.Time) (bool, error) {
	hm, err := wire.ParseHashMsg(m.Type, m.Payload)
	if err != nil {
		return true, fmt.Errorf("hash message: %w", err)
	}
	allowed := p.hashLim.AllowN(now, 1)
	switch {
	case hm.Type == wire.HashRequest:
		resp := p.t.hashResp.Load()
		reply := hm
		reply.Type = wire.HashReject
		if resp != nil && allowed {
			if _, _, below, err := resp.BlockPieces(&hm); err == nil && below {
				// Block hashes: the loop has them hashed from the data
				// (blockserve.go).
				return p.t.post(evBlockHashReq{peer: p, msg: hm}), nil
			}
			reply, _ = resp.Answer(&hm) // a reject, with ErrRejected, is sent all the same
		}
		p.queueHashMsg(&reply)
		return true, nil
	case !allowed:
		return true, nil
	}
	hm.Hashes = append([]byte(nil), hm.Hashes...)
	return p.t.post(evHashMsg{peer: p, msg: hm}), nil
}

// rejectHashMsg sends the hash reject of a request.
func (p *peerConn) rejectHashMsg(req *wire.HashMsg) {
	reply := *req
	reply.Type = wire.HashReject
	reply.Hashes = nil
	p.queueHashMsg(&reply)
}

// queueHashMsg encodes a hash message for sending, as queueMessage does.
func (p *peerConn) queueHashMsg(m *wire.HashMsg) {
	p.mu.Lock()
	over := len(p.out) > maxQueuedBytes
	if !over {
		p.out = wire.AppendHashMsg(p.out, m)
	}
	p.mu.Unlock()
	if over {
		p.close()
		return
	}
	p.signal()
}
