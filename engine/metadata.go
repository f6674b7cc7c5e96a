package engine

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
)

// Extension message ids we advertise in our BEP 10 handshake. Peers send
// us these ids; we send them the ids from their handshakes.
const (
	extMetadata = 1 // ut_metadata, BEP 9
	extPEX      = 2 // ut_pex, BEP 11
	// 3 and 4 are the session's: session.ExtUploadOnly, ExtDontHave.
)

// metaPhase is a magnet torrent's phase until its info dictionary is
// known: core/metadata's Phase does the work, and this is its Out. When
// the dictionary verifies, storage is opened, existing data checked, and
// the session started and handed every peer with what it told us so far.
type metaPhase struct {
	t  *Torrent
	ph *metadata.Phase
}

// startMetadata begins a magnet torrent's metadata phase.
func (t *Torrent) startMetadata() {
	m := &metaPhase{t: t}
	cfg := metadata.PhaseConfig{ExtHandshake: t.extHandshake(), ExtID: extMetadata}
	if t.v2OnlyMagnet() {
		cfg.InfoHashV2 = t.spec.InfoHashV2 // the dict must hash to the btmh
	}
	m.ph = metadata.NewPhase(t.ih, cfg, m)
	t.phase = m
}

// AddPeer greets the peer with only our extension handshake, so it can
// offer ut_metadata.
func (m *metaPhase) AddPeer(p *peerConn, now time.Time) {
	ours := m.t.e.handshake(m.t.ih)
	m.ph.AddPeer(int(p.id), p.hs.SupportsExtended() && ours.SupportsExtended(), now)
	m.counted()
}

// Message passes a message to the metadata phase.
func (m *metaPhase) Message(p *peerConn, msg *wire.Message, now time.Time) {
	m.ph.Message(int(p.id), msg, now)
	m.counted()
}

// PeerClosed forgets the peer.
func (m *metaPhase) PeerClosed(p *peerConn, now time.Time) { m.RemovePeer(p, now) }

// RemovePeer forgets the peer; its requests go to others.
func (m *metaPhase) RemovePeer(p *peerConn, now time.Time) {
	m.ph.RemovePeer(int(p.id), now)
	m.counted()
}

// Tick asks again for pieces whose requests timed out.
func (m *metaPhase) Tick(now time.Time) { m.ph.Tick(now) }

// Stop does nothing: there is nothing to cancel politely.
func (m *metaPhase) Stop(time.Time) {}

// counted publishes the number of peers for Stats and the DHT.
func (m *metaPhase) counted() {
	if !m.ph.Done() {
		m.t.metaPeers.Store(int64(m.ph.NumPeers()))
	}
}

// Send queues a message to a peer.
func (m *metaPhase) Send(id metadata.PeerID, msg *wire.Message) {
	if p, ok := m.t.peers[session.PeerID(id)]; ok {
		p.queueMessage(msg)
	}
}

// ClosePeer drops a peer the metadata phase gave up on, as the session's
// ClosePeer does: a liar's address is banned.
func (m *metaPhase) ClosePeer(id metadata.PeerID, reason error) {
	if errors.Is(reason, metadata.ErrBanned) {
		reason = fmt.Errorf("%w (%w)", reason, session.ErrBanned)
	}
	(*torrentOut)(m.t).ClosePeer(session.PeerID(id), reason)
}

// Done switches the torrent to its session once the info dictionary
// verified. A dictionary that does not parse, or storage that does not
// open, stops the torrent.
func (m *metaPhase) Done(infoBytes []byte, peers []metadata.Handoff) {
	t := m.t
	t.metaPeers.Store(0)
	if err := t.gotMetadata(infoBytes, peers, t.e.clock.Now()); err != nil {
		t.fail(err)
		t.halt = true
	}
}

// gotMetadata parses the info dict, opens storage, verifies existing
// data, starts the session and hands it every connected peer with the
// messages the metadata phase kept for it.
func (t *Torrent) gotMetadata(infoBytes []byte, peers []metadata.Handoff, now time.Time) error {
	info, err := metainfo.ParseInfo(infoBytes)
	if v2 := t.spec.InfoHashV2; err == nil && v2 != ([32]byte{}) && (!info.HasV2() || sha256.Sum256(infoBytes) != v2) {
		// The magnet's btmh named another torrent than its btih.
		err = fmt.Errorf("info dictionary does not hash to the magnet's v2 info hash %x: %w", v2, metainfo.ErrMalformed)
	}
	if err == nil && t.v2OnlyMagnet() && info.HasV1() {
		err = fmt.Errorf("a v2 magnet's info dictionary has v1 pieces: %w", metainfo.ErrMalformed)
	}
	var v2 []v2Piece
	if err == nil {
		// A v2-only torrent's files longer than a piece verify against
		// piece layers, which hash requests (BEP 52) fetch first.
		if v2, err = pieceWants(info, t.spec.PieceLayers); errors.Is(err, errNoPieceLayer) {
			return t.startLayers(info, infoBytes, peers, now)
		}
	}
	if err != nil {
		return fmt.Errorf("metadata from peers: %w", err)
	}
	if err := t.startWithInfo(info, infoBytes, v2, peers, now); err != nil {
		return err
	}
	t.joinV2Swarm(info, infoBytes) // a btih magnet of a hybrid
	t.startHybridLayers()
	return nil
}

// startWithInfo opens storage, verifies existing data, starts the session
// and hands it every connected peer with the messages kept for it.
func (t *Torrent) startWithInfo(info *metainfo.Info, infoBytes []byte, v2 []v2Piece, peers []metadata.Handoff, now time.Time) error {
	st, hasData, err := t.spec.OpenStorage(info)
	if err != nil {
		return err
	}
	t.info, t.storage, t.v2 = info, st, v2
	if r := newHashResponder(info, t.spec.PieceLayers); r != nil {
		t.hashResp.Store(r)
	}
	t.private.Store(info.Private)
	t.spec.Info, t.spec.InfoBytes, t.spec.CheckAll = info, infoBytes, hasData
	t.setLength(info)
	if !t.verifyOnDisk() {
		return errTorrentClosed
	}
	t.startSession(now)
	t.closeChecked()
	for _, h := range peers {
		p := t.peers[session.PeerID(h.Peer)]
		if p == nil {
			continue
		}
		t.phase.AddPeer(p, now)
		for i := range h.Messages {
			if t.peers[p.id] != p {
				break // the session closed it
			}
			t.phase.Message(p, &h.Messages[i], now)
		}
	}
	return nil
}

// sendMetadata answers a ut_metadata request with the piece of our info
// dictionary, or a reject for a piece past its end.
func (t *Torrent) sendMetadata(id session.PeerID, ext *wire.ExtHandshake, piece int) {
	p := t.peers[id]
	if p == nil || ext == nil {
		return
	}
	theirID := ext.M["ut_metadata"]
	if theirID <= 0 || theirID > 255 {
		return
	}
	msg := wire.MetadataMsg{Type: wire.MetadataReject, Piece: piece}
	if data, total, err := metadata.Piece(t.spec.InfoBytes, piece); err == nil {
		msg = wire.MetadataMsg{Type: wire.MetadataData, Piece: piece, TotalSize: total, Data: data}
	}
	p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: uint8(theirID), Payload: wire.AppendMetadataMsg(nil, msg)})
}
