// Finding the bad block of a failed v2 piece (BEP 52): the piece's block
// hashes, proven by its piece hash, are asked of a peer that has the
// piece, and compared with the hashes of the blocks we received. The
// sender of each differing block is banned at once and only those blocks
// are fetched again (session.PieceBlocksBad). Without an answer the piece
// fails as a v1 piece does (parole, session.PieceHashed).

package engine

import (
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
	"golang.org/x/time/rate"
)

const (
	// maxBlockChecks bounds the failed pieces waiting for block hashes at
	// once; a piece failing beyond it goes straight to parole.
	maxBlockChecks = 16
	// blockCheckTimeout is how long a peer has to answer a block hash
	// request before another peer is asked.
	blockCheckTimeout = 10 * time.Second
	// blockCheckGiveUp is how long a failed piece waits for its block
	// hashes in all before it fails the v1 way.
	blockCheckGiveUp = 45 * time.Second
)

// v2Blocks is a torrent's loop-owned state of BEP 52 block hashes: the
// failed pieces waiting for theirs (blockcheck.go) and the answers being
// hashed for peers (blockserve.go).
type v2Blocks struct {
	checks map[int]*blockCheck      // by piece
	byKey  map[layerKey]*blockCheck // by the range their request names
	files  map[merkle.Hash]int      // FilesV2 index by pieces root, built on first use

	hybrid *hybridLayers // a hybrid magnet's piece layers being fetched (hybridlayers.go)

	serving  map[session.PeerID]int // answers being hashed, per peer
	servingN int                    // and in all
	serveLim *rate.Limiter          // bytes hashed to answer peers
}

// blockCheck is a failed piece waiting for its block hashes.
type blockCheck struct {
	piece   int
	got     []merkle.Hash // the failed copy's block hashes
	sums    []uint64      // its block sums, for PieceHashed if no answer comes
	known   *merkle.Tree  // the file's tree from its piece layer up
	msg     wire.HashMsg
	peer    session.PeerID // asked now; 0 while nobody is
	sentAt  time.Time
	started time.Time
	tried   map[session.PeerID]bool
}

// fileOf finds the v2 file a piece of a v2 torrent belongs to.
func (t *Torrent) fileOf(piece int) (metainfo.FileV2, bool) {
	off := int64(piece) * t.info.PieceLength
	for _, f := range t.info.FilesV2 {
		if f.Length > 0 && off >= f.Offset && off < f.Offset+f.Length {
			return f, true
		}
	}
	return metainfo.FileV2{}, false
}

// checkBlocks starts finding the bad blocks of a failed v2 piece whose
// received blocks hashed to blocks; false when the piece must fail the v1
// way (not v2, no block hashes, too many checks waiting). A piece of one
// block needs no question: that block is the bad one.
func (t *Torrent) checkBlocks(piece int, blocks []merkle.Hash, sums []uint64, now time.Time) bool {
	resp := t.hashResp.Load()
	if t.v2 == nil || resp == nil || len(blocks) == 0 || len(t.v2b.checks) >= maxBlockChecks {
		return false
	}
	if _, busy := t.v2b.checks[piece]; busy {
		return false
	}
	f, ok := t.fileOf(piece)
	if !ok {
		return false
	}
	known, ok := resp.Tree(f.PiecesRoot)
	if !ok || !knowsPieceLayer(resp, f, t.info.PieceLength) {
		return false // the proof could not be checked
	}
	filePiece := (int64(piece)*t.info.PieceLength - f.Offset) / t.info.PieceLength
	req, need, err := v2hashes.BlockRequest(f.PiecesRoot, f.Length, t.info.PieceLength, filePiece)
	if err != nil {
		return false
	}
	if !need {
		t.sess.PieceBlocksBad(piece, []int{0}, now)
		return true
	}
	if t.v2b.checks == nil {
		t.v2b.checks = map[int]*blockCheck{}
		t.v2b.byKey = map[layerKey]*blockCheck{}
	}
	c := &blockCheck{piece: piece, got: blocks, sums: sums, known: known, msg: req,
		started: now, tried: map[session.PeerID]bool{}}
	t.v2b.checks[piece] = c
	t.v2b.byKey[layerKey{req.Root, req.Index}] = c
	t.askBlocks(c, now)
	return true
}

// askBlocks sends c's request to a peer that has the piece and has not
// failed it (of a hybrid, a v2 peer), one that sent none of the failed
// copy's blocks first.
func (t *Torrent) askBlocks(c *blockCheck, now time.Time) {
	var best *peerConn
	bestSent := true
	for id, p := range t.peers {
		if c.tried[id] || !t.sess.PeerHas(id, c.piece) || t.info.HasV1() && !t.speaksV2To(p) {
			continue // a hybrid's v1 peers may not know hash requests
		}
		sent := t.sess.SentBlock(id, c.piece)
		if best == nil || bestSent && !sent || bestSent == sent && id < best.id {
			best, bestSent = p, sent
		}
	}
	if best == nil {
		return
	}
	c.peer, c.sentAt = best.id, now
	best.queueHashMsg(&c.msg)
}

// endCheck forgets a check.
func (t *Torrent) endCheck(c *blockCheck) {
	delete(t.v2b.checks, c.piece)
	delete(t.v2b.byKey, layerKey{c.msg.Root, c.msg.Index})
}

// blockHashMsg takes a peer's hashes or hash reject while the session
// runs: the answer to a block check's request names the bad blocks; a
// reject sends the request to another peer; hashes that do not prove out
// against the piece hash get the peer banned. Anything else is ignored.
func (t *Torrent) blockHashMsg(p *peerConn, m *wire.HashMsg, now time.Time) {
	c0 := t.v2b.byKey[layerKey{m.Root, m.Index}]
	if c0 == nil || c0.peer != p.id || !v2hashes.Same(&c0.msg, m) {
		return // unsolicited, or answered after a timeout
	}
	c := c0
	c.peer = 0
	if m.Type == wire.HashReject {
		c.tried[p.id] = true
		t.askBlocks(c, now)
		return
	}
	proven, err := v2hashes.Verify(c.known, m)
	if err != nil {
		t.phase.RemovePeer(p, now)
		(*torrentOut)(t).ClosePeer(p.id, fmt.Errorf("block hashes: %w (%w)", err, session.ErrBanned))
		for _, c := range t.v2b.checks { // every check it was asked for goes to another peer now
			if c.peer == p.id || c == c0 {
				c.tried[p.id] = true
				c.peer = 0
				t.askBlocks(c, now)
			}
		}
		return
	}
	t.endCheck(c)
	var bad []int
	for k, h := range c.got {
		if k < len(proven) && h != proven[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		// Every block as proven, yet the piece failed: what was read is
		// not what was received. Fail it the v1 way.
		t.sess.PieceHashed(c.piece, false, c.sums, now)
		return
	}
	t.e.cfg.Logger.Debug("v2 piece failed", "piece", c.piece, "bad blocks", bad, "proven by", p.addr)
	t.sess.PieceBlocksBad(c.piece, bad, now)
}

// blockChecksTick asks another peer where one timed out or left, and
// fails the v1 way a piece that waited too long for its block hashes.
func (t *Torrent) blockChecksTick(now time.Time) {
	for _, c := range t.v2b.checks {
		if now.Sub(c.started) >= blockCheckGiveUp {
			t.endCheck(c)
			t.sess.PieceHashed(c.piece, false, c.sums, now)
			continue
		}
		if c.peer != 0 {
			if _, on := t.peers[c.peer]; on && now.Sub(c.sentAt) < blockCheckTimeout {
				continue
			}
			c.tried[c.peer] = true
			c.peer = 0
		}
		t.askBlocks(c, now)
	}
}
