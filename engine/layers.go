// The piece layer phase: a v2-only torrent known by a btmh magnet has its
// info dictionary but not the piece layers its files longer than a piece
// verify against. They are asked of peers by BEP 52 hash requests
// (v2hashes.PieceLayerRequests), each answer checked against the file's
// pieces root (v2hashes.Verify); once every layer is known the torrent
// starts as if its .torrent had carried them, and its record keeps them.

package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

const (
	// layerRequestTimeout is how long a peer has to answer a hash request
	// before it goes to another peer.
	layerRequestTimeout = 15 * time.Second
	// maxLayerRequestsPerPeer bounds the hash requests in flight to a peer.
	maxLayerRequestsPerPeer = 8
	// maxLayerPhaseMessages bounds what a peer may tell us to replay to
	// the session (its HAVEs, mostly); beyond it the peer is dropped.
	maxLayerPhaseMessages = metadata.MaxEarlyMessages + 16
)

// layerFile is a file whose piece layer is being fetched.
type layerFile struct {
	known *merkle.Tree  // the pieces root alone
	layer []merkle.Hash // its piece layer, filled as answers verify
	root  merkle.Hash   // the pieces root
	n     int           // the file's pieces
}

// layerReq is one hash request of the phase.
type layerReq struct {
	file   int
	msg    wire.HashMsg
	peer   session.PeerID // 0: not in flight
	sentAt time.Time
	done   bool
	tried  map[session.PeerID]bool // peers that rejected it or timed out
}

// layerKey names a piece layer request: its file's root and first index
// (one request per chunk of a layer).
type layerKey struct {
	root  [32]byte
	index uint32
}

// layerPeer is a connected peer and what it told us, for the session.
type layerPeer struct {
	p        *peerConn
	replay   []wire.Message
	inFlight int
}

type layerPhase struct {
	t         *Torrent
	info      *metainfo.Info
	infoBytes []byte
	files     []*layerFile
	reqs      []*layerReq
	byKey     map[layerKey]*layerReq // reqs by the range they name
	pending   []*layerReq            // reqs neither done nor in flight
	left      int
	peers     map[session.PeerID]*layerPeer
	order     []session.PeerID
}

// startLayers begins fetching the piece layers of info's files longer
// than a piece, with the peers the metadata phase handed over.
func (t *Torrent) startLayers(info *metainfo.Info, infoBytes []byte, handoffs []metadata.Handoff, now time.Time) error {
	lp := &layerPhase{t: t, info: info, infoBytes: infoBytes, peers: map[session.PeerID]*layerPeer{},
		byKey: map[layerKey]*layerReq{}}
	for _, f := range info.FilesV2 {
		if f.Length <= info.PieceLength {
			continue
		}
		if _, ok := t.spec.PieceLayers[f.PiecesRoot]; ok {
			continue
		}
		h := v2hashes.TreeHeight(f.Length)
		known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, h, h)
		if err != nil {
			return fmt.Errorf("file %q: %w", f.Path, err)
		}
		reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, info.PieceLength)
		if err != nil {
			return fmt.Errorf("file %q: %w", f.Path, err)
		}
		n := int((f.Length-1)/info.PieceLength + 1)
		lf := &layerFile{known: known, layer: make([]merkle.Hash, n), root: f.PiecesRoot, n: n}
		lp.files = append(lp.files, lf)
		for _, r := range reqs {
			q := &layerReq{file: len(lp.files) - 1, msg: r, tried: map[session.PeerID]bool{}}
			lp.reqs = append(lp.reqs, q)
			lp.byKey[layerKey{r.Root, r.Index}] = q
		}
	}
	lp.left = len(lp.reqs)
	lp.pending = slices.Clone(lp.reqs)
	t.phase = lp
	for _, h := range handoffs {
		if p := t.peers[session.PeerID(h.Peer)]; p != nil {
			lp.peers[p.id] = &layerPeer{p: p, replay: h.Messages}
			lp.order = append(lp.order, p.id)
		}
	}
	lp.counted()
	if lp.left == 0 {
		return lp.finish(now)
	}
	lp.schedule(now)
	return nil
}

// AddPeer takes a peer for hash requests; the session greets it later.
func (lp *layerPhase) AddPeer(p *peerConn, now time.Time) {
	lp.peers[p.id] = &layerPeer{p: p}
	lp.order = append(lp.order, p.id)
	lp.counted()
	lp.schedule(now)
}

// Message keeps what the session will need to know of the peer: its
// extension handshake, what it has, whether it chokes us and whether it
// is interested. The rest waits for the session's own exchange.
func (lp *layerPhase) Message(p *peerConn, m *wire.Message, now time.Time) {
	lpe := lp.peers[p.id]
	if lpe == nil || m.KeepAlive {
		return
	}
	switch m.Type {
	case wire.Extended:
		if m.ExtID != 0 {
			return
		}
	case wire.Bitfield, wire.HaveAll, wire.HaveNone, wire.Have, wire.Choke, wire.Unchoke,
		wire.Interested, wire.NotInterested:
	default:
		return
	}
	if len(lpe.replay) >= maxLayerPhaseMessages {
		lp.drop(p.id, fmt.Errorf("more than %d messages while fetching piece layers", maxLayerPhaseMessages), now)
		return
	}
	c := *m
	c.Block = nil
	c.Bitfield = slices.Clone(m.Bitfield)
	c.Payload = slices.Clone(m.Payload)
	lpe.replay = append(lpe.replay, c)
}

// PeerClosed forgets the peer; its requests go to others.
func (lp *layerPhase) PeerClosed(p *peerConn, now time.Time) { lp.RemovePeer(p, now) }

// RemovePeer forgets the peer; its requests go to others.
func (lp *layerPhase) RemovePeer(p *peerConn, now time.Time) {
	if lp.peers[p.id] == nil {
		return
	}
	delete(lp.peers, p.id)
	lp.order = slices.DeleteFunc(lp.order, func(id session.PeerID) bool { return id == p.id })
	for _, r := range lp.reqs {
		if r.peer == p.id {
			lp.requeue(r)
		}
	}
	lp.counted()
	lp.schedule(now)
}

// drop closes a peer the phase gave up on.
func (lp *layerPhase) drop(id session.PeerID, reason error, now time.Time) {
	if p := lp.peers[id]; p != nil {
		lp.RemovePeer(p.p, now)
	}
	(*torrentOut)(lp.t).ClosePeer(id, reason)
}

// Tick asks another peer for requests that timed out, and lets peers
// that all failed a request try it again once a timeout has passed since
// the last try (not at once: a peer rejecting everything would
// otherwise be asked again and again).
func (lp *layerPhase) Tick(now time.Time) {
	for _, r := range lp.reqs {
		if r.done || now.Sub(r.sentAt) < layerRequestTimeout {
			continue
		}
		if r.peer == 0 {
			clear(r.tried)
			continue
		}
		if pe := lp.peers[r.peer]; pe != nil {
			pe.inFlight--
		}
		r.tried[r.peer] = true
		lp.requeue(r)
	}
	lp.schedule(now)
}

// Stop does nothing: unanswered requests need no cancel.
func (lp *layerPhase) Stop(time.Time) {}

func (lp *layerPhase) counted() { lp.t.metaPeers.Store(int64(len(lp.peers))) }

// schedule sends every request not in flight to a peer (every peer of a
// v2-only swarm speaks v2, whatever its handshake says) that has not
// failed it, the least busy first.
func (lp *layerPhase) schedule(now time.Time) {
	kept := lp.pending[:0]
	for i, r := range lp.pending {
		if r.done || r.peer != 0 {
			continue
		}
		if !lp.room() {
			kept = append(kept, lp.pending[i:]...) // no peer can take more: the rest wait
			break
		}
		best := lp.pick(r)
		if best == nil {
			kept = append(kept, r)
			continue
		}
		r.peer, r.sentAt = best.p.id, now
		best.inFlight++
		best.p.queueHashMsg(&r.msg)
	}
	clear(lp.pending[len(kept):])
	lp.pending = kept
}

// requeue takes a request back from the peer it was in flight to.
func (lp *layerPhase) requeue(r *layerReq) {
	r.peer = 0
	lp.pending = append(lp.pending, r)
}

// room reports whether some peer can take another request.
func (lp *layerPhase) room() bool {
	for _, pe := range lp.peers {
		if pe.inFlight < maxLayerRequestsPerPeer {
			return true
		}
	}
	return false
}

func (lp *layerPhase) pick(r *layerReq) *layerPeer {
	var best *layerPeer
	for _, id := range lp.order {
		pe := lp.peers[id]
		if r.tried[id] || pe.inFlight >= maxLayerRequestsPerPeer {
			continue
		}
		if best == nil || pe.inFlight < best.inFlight {
			best = pe
		}
	}
	return best
}

// hashMsg takes a peer's hashes or hash reject: an answer to a request in
// flight to it fills a piece layer if it proves out against the file's
// root, and a wrong one bans the peer. Anything else is ignored.
func (lp *layerPhase) hashMsg(p *peerConn, m *wire.HashMsg, now time.Time) {
	r := lp.byKey[layerKey{m.Root, m.Index}]
	if r == nil || r.peer != p.id || r.done || !v2hashes.Same(&r.msg, m) {
		return // unsolicited, or answered after a timeout
	}
	if pe := lp.peers[p.id]; pe != nil {
		pe.inFlight--
	}
	lp.requeue(r)
	if m.Type == wire.HashReject {
		r.tried[p.id] = true
		lp.schedule(now)
		return
	}
	f := lp.files[r.file]
	hashes, err := v2hashes.Verify(f.known, m)
	if err != nil {
		lp.drop(p.id, fmt.Errorf("piece layer: %w (%w)", err, session.ErrBanned), now)
		return
	}
	copy(f.layer[min(int(r.msg.Index), f.n):], hashes)
	r.done = true
	lp.left--
	if lp.left == 0 {
		if err := lp.finish(now); err != nil {
			lp.t.fail(err)
			lp.t.halt = true
		}
		return
	}
	lp.schedule(now)
}

// finish starts the torrent with the layers fetched.
func (lp *layerPhase) finish(now time.Time) error {
	t := lp.t
	layers := make(map[merkle.Hash][]merkle.Hash, len(t.spec.PieceLayers)+len(lp.files))
	for k, v := range t.spec.PieceLayers {
		layers[k] = v
	}
	for _, f := range lp.files {
		layers[f.root] = f.layer
	}
	t.spec.PieceLayers = layers
	v2, err := pieceWants(lp.info, layers)
	if err != nil {
		return fmt.Errorf("metadata from peers: %w", err)
	}
	handoffs := make([]metadata.Handoff, 0, len(lp.order))
	for _, id := range lp.order {
		handoffs = append(handoffs, metadata.Handoff{Peer: metadata.PeerID(id), Messages: lp.peers[id].replay})
	}
	t.metaPeers.Store(0)
	return t.startWithInfo(lp.info, lp.infoBytes, v2, handoffs, now)
}
