// A hybrid known by a magnet has its info dictionary but not the piece
// layers of its files longer than a piece. It needs none to download
// (SHA-1 checks every piece), so it starts at once and asks its v2 peers
// for the layers in the background (BEP 52 hash requests, each answer
// proven against the file's pieces root). Once every layer is known the
// torrent answers piece layer requests from them and its record keeps
// them, so a restart checks its pieces by their v2 hashes too.

package engine

import (
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

// hybridLayers is the loop's fetch of a hybrid's missing piece layers.
type hybridLayers struct {
	files []*layerFile
	reqs  map[layerKey]*hybridReq
	left  int
}

// hybridReq is one piece layer request.
type hybridReq struct {
	file   int
	msg    wire.HashMsg
	peer   session.PeerID // in flight to; 0 when not
	sentAt time.Time
	done   bool
	tried  map[session.PeerID]bool
}

// startHybridLayers begins fetching the layers a hybrid lacks (loop
// only; nothing to do for other torrents or when every layer is known).
func (t *Torrent) startHybridLayers() {
	info := t.info
	if info == nil || !info.HasV1() || !info.HasV2() || t.v2b.hybrid != nil {
		return
	}
	h := &hybridLayers{reqs: map[layerKey]*hybridReq{}}
	for _, f := range info.FilesV2 {
		if f.Length <= info.PieceLength {
			continue
		}
		if _, ok := t.spec.PieceLayers[f.PiecesRoot]; ok {
			continue
		}
		height := v2hashes.TreeHeight(f.Length)
		known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, height, height)
		if err != nil {
			return
		}
		reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, info.PieceLength)
		if err != nil {
			return
		}
		n := int((f.Length-1)/info.PieceLength + 1)
		h.files = append(h.files, &layerFile{known: known, layer: make([]merkle.Hash, n), root: f.PiecesRoot, n: n})
		for _, r := range reqs {
			h.reqs[layerKey{r.Root, r.Index}] = &hybridReq{file: len(h.files) - 1, msg: r, tried: map[session.PeerID]bool{}}
		}
	}
	if len(h.reqs) == 0 {
		return
	}
	h.left = len(h.reqs)
	t.v2b.hybrid = h
	t.hybridSchedule(t.e.clock.Now())
}

// speaksV2To tells whether a peer of a hybrid speaks v2: it set BEP 52's
// bit, or it is in the v2 swarm (libtorrent answers a v1 handshake in
// the v2 hash). Hash requests go to such peers only: a v1 client may drop
// a peer sending a message it does not know.
func (t *Torrent) speaksV2To(p *peerConn) bool {
	return p.hs.Reserved[v2Byte]&v2Bit != 0 || t.hasAlias.Load() && p.hs.InfoHash == t.alias
}

// hybridSchedule sends each request neither done nor in flight (or in
// flight too long, or to a peer gone) to a v2 peer that has not failed
// it, one request per peer at a time.
func (t *Torrent) hybridSchedule(now time.Time) {
	h := t.v2b.hybrid
	if h == nil {
		return
	}
	busy := map[session.PeerID]bool{}
	for _, r := range h.reqs {
		if r.done || r.peer == 0 {
			continue
		}
		if _, on := t.peers[r.peer]; on && now.Sub(r.sentAt) < layerRequestTimeout {
			busy[r.peer] = true
			continue
		}
		r.tried[r.peer] = true
		r.peer = 0
	}
	for _, r := range h.reqs {
		if r.done || r.peer != 0 {
			continue
		}
		var best *peerConn
		for id, p := range t.peers {
			if busy[id] || r.tried[id] || !t.speaksV2To(p) {
				continue
			}
			if best == nil || id < best.id {
				best = p
			}
		}
		if best == nil {
			continue
		}
		busy[best.id] = true
		r.peer, r.sentAt = best.id, now
		best.queueHashMsg(&r.msg)
	}
}

// hybridHashMsg takes a hashes or hash reject message that answers one of
// the fetch's requests (true), or reports it is not one (false).
func (t *Torrent) hybridHashMsg(p *peerConn, m *wire.HashMsg, now time.Time) bool {
	h := t.v2b.hybrid
	if h == nil {
		return false
	}
	r := h.reqs[layerKey{m.Root, m.Index}]
	if r == nil || r.done || r.peer != p.id || !v2hashes.Same(&r.msg, m) {
		return false
	}
	r.peer = 0
	if m.Type == wire.HashReject {
		r.tried[p.id] = true
		t.hybridSchedule(now)
		return true
	}
	f := h.files[r.file]
	hashes, err := v2hashes.Verify(f.known, m)
	if err != nil {
		r.tried[p.id] = true
		t.phase.RemovePeer(p, now)
		(*torrentOut)(t).ClosePeer(p.id, fmt.Errorf("piece layer: %w (%w)", err, session.ErrBanned))
		t.hybridSchedule(now)
		return true
	}
	copy(f.layer[min(int(r.msg.Index), f.n):], hashes)
	r.done = true
	if h.left--; h.left > 0 {
		t.hybridSchedule(now)
		return true
	}
	fetched := make(map[merkle.Hash][]merkle.Hash, len(h.files))
	for _, f := range h.files {
		fetched[f.root] = f.layer
	}
	t.adoptLayers(fetched)
	t.v2b.hybrid = nil
	t.e.cfg.Logger.Debug("hybrid piece layers fetched", "files", len(h.files))
	t.saveRecord(now)
	return true
}

// adoptLayers adds proven piece layers to a running hybrid: they are
// served from now on, kept in the record, and the pieces they cover are
// checked by their v2 hash as well as SHA-1 from the next check on.
func (t *Torrent) adoptLayers(fetched map[merkle.Hash][]merkle.Hash) {
	layers := make(map[merkle.Hash][]merkle.Hash, len(t.spec.PieceLayers)+len(fetched))
	for k, v := range t.spec.PieceLayers {
		layers[k] = v
	}
	for k, v := range fetched {
		layers[k] = v
	}
	t.spec.PieceLayers = layers
	if resp := newHashResponder(t.info, layers); resp != nil {
		t.hashResp.Store(resp)
	}
	// Checks already handed to the pool keep the table they were given.
	if v2, err := pieceWants(t.info, layers); err == nil {
		t.v2 = v2
	}
}
