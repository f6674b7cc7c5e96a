package metadata

import (
	"errors"
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// MaxEarlyMessages bounds the HAVEs a peer may send while the info
// dictionary is unknown; later ones are dropped. They are kept to be
// replayed once the torrent's size is known.
const MaxEarlyMessages = 20000

// ErrProtocol is the reason a Phase closes a peer that broke the protocol
// (a malformed extension handshake or ut_metadata message, an extended
// message without BEP 10); the wrapping error says how. A peer closed for
// lying about the metadata gets a reason wrapping ErrBanned instead.
var ErrProtocol = errors.New("metadata: protocol violation")

// Out is how a Phase acts on the world; the engine implements it. Calls
// never call back into the Phase. Messages handed to Send are valid only
// during the call.
type Out interface {
	// Send queues a message to p.
	Send(p PeerID, m *wire.Message)
	// ClosePeer drops the connection; the Phase has already forgotten p.
	// A reason wrapping ErrBanned means p sent a copy that failed the
	// hash: its address should be refused from now on.
	ClosePeer(p PeerID, reason error)
	// Done reports the verified info dictionary, once. peers are the
	// connected peers in the order they were added, each with what it
	// told us so far. The Phase is finished: later calls do nothing.
	Done(info []byte, peers []Handoff)
}

// Handoff is a connected peer and the messages to replay to the torrent's
// session once the info dictionary is known: its last extension
// handshake, what it has (HaveAll, or its bitfield with the bits of later
// bitfields ORed in, or HaveNone), its HAVEs in arrival order (at most
// MaxEarlyMessages), then whether it chokes us and whether it is
// interested, as it last said.
type Handoff struct {
	Peer     PeerID
	Messages []wire.Message
}

// PhaseConfig is what a Phase needs from the engine.
type PhaseConfig struct {
	// ExtHandshake is our BEP 10 handshake payload, sent to every peer
	// that speaks BEP 10 when it is added.
	ExtHandshake []byte
	// ExtID is the id our handshake gives ut_metadata: extended messages
	// with this id are BEP 9 messages.
	ExtID uint8
	// InfoHashV2, when set, is the SHA-256 the dict must hash to (a
	// v2-only magnet, BEP 52) instead of the SHA-1 infoHash.
	InfoHashV2 [32]byte
}

// Phase is a magnet torrent's metadata phase, sans-I/O: the engine adds
// and removes peers, passes their messages and the clock ticks in, and
// the Phase greets peers, asks ut_metadata peers for the pieces the
// Fetcher hands out, refuses their requests (we have nothing to serve),
// closes peers that break the protocol or lie, and keeps what each peer
// says it has for the session. Requests go out in the order peers were
// added, so a run is reproducible. Not safe for concurrent use.
type Phase struct {
	cfg   PhaseConfig
	out   Out
	f     *Fetcher
	peers map[PeerID]*phasePeer
	order []*phasePeer // the order peers were added in
	done  bool
	buf   []byte // a ut_metadata payload being sent
}

// phasePeer is what the Phase knows of a connected peer.
type phasePeer struct {
	id       PeerID
	extended bool               // both sides speak BEP 10
	ext      *wire.ExtHandshake // nil until it sends one
	extRaw   []byte             // that handshake's payload, for the session
	bitfield []byte             // the first bitfield, bits of later ones ORed in
	haveAll  bool
	haveNone bool
	haves    []uint32
	choke    *wire.MsgType // the last Choke or Unchoke
	interest *wire.MsgType // the last Interested or NotInterested
}

// NewPhase starts fetching the info dictionary whose SHA-1 is infoHash.
func NewPhase(infoHash [20]byte, cfg PhaseConfig, out Out) *Phase {
	f := NewFetcher(infoHash)
	if cfg.InfoHashV2 != ([32]byte{}) {
		f = NewFetcherV2(cfg.InfoHashV2)
	}
	return &Phase{cfg: cfg, out: out, f: f, peers: map[PeerID]*phasePeer{}}
}

// AddPeer registers a handshaken connection; extended says both sides
// speak BEP 10, and then our extension handshake is sent so the peer can
// offer ut_metadata. Re-adding a live id replaces the old connection.
func (ph *Phase) AddPeer(id PeerID, extended bool, now time.Time) {
	if ph.done {
		return
	}
	if ph.peers[id] != nil {
		ph.forget(id)
	}
	p := &phasePeer{id: id, extended: extended}
	ph.peers[id] = p
	ph.order = append(ph.order, p)
	if extended && ph.cfg.ExtHandshake != nil {
		ph.out.Send(id, &wire.Message{Type: wire.Extended, ExtID: 0, Payload: ph.cfg.ExtHandshake})
	}
}

// RemovePeer forgets a connection that is gone; its unanswered requests go
// to other peers at once. Unknown ids are ignored.
func (ph *Phase) RemovePeer(id PeerID, now time.Time) {
	if ph.done || ph.peers[id] == nil {
		return
	}
	ph.forget(id)
	ph.request(now)
}

// forget drops every trace of a peer.
func (ph *Phase) forget(id PeerID) {
	p := ph.peers[id]
	delete(ph.peers, id)
	for i, q := range ph.order {
		if q == p {
			ph.order = append(ph.order[:i], ph.order[i+1:]...)
			break
		}
	}
	ph.f.RemovePeer(id)
}

// drop forgets p and tells the engine to close it.
func (ph *Phase) drop(id PeerID, reason error) {
	ph.forget(id)
	ph.out.ClosePeer(id, reason)
}

// Tick asks peers again for pieces whose requests timed out or were
// refused; call it every second or so.
func (ph *Phase) Tick(now time.Time) {
	if ph.done {
		return
	}
	ph.request(now)
}

// NumPeers is the number of connected peers.
func (ph *Phase) NumPeers() int { return len(ph.order) }

// Progress returns how many metadata pieces of the current copy arrived,
// of how many; 0, 0 before any peer announced a size.
func (ph *Phase) Progress() (received, total int) { return ph.f.Progress() }

// Done reports whether the info dictionary arrived and verified.
func (ph *Phase) Done() bool { return ph.done }

// Message handles one parsed message from a peer. Messages of unknown
// peers are ignored (the peer may have been closed while its messages were
// queued). Slices in m may be reused after the call: what is kept is
// copied.
func (ph *Phase) Message(id PeerID, m *wire.Message, now time.Time) {
	p := ph.peers[id]
	if ph.done || p == nil || m.KeepAlive {
		return
	}
	switch m.Type {
	case wire.Extended:
		if !p.extended {
			ph.drop(id, fmt.Errorf("metadata: extended message without BEP 10: %w", ErrProtocol))
			ph.request(now)
			return
		}
		switch m.ExtID {
		case 0:
			if !ph.onExtHandshake(p, m.Payload) {
				ph.request(now)
				return
			}
		case ph.cfg.ExtID:
			if ph.onMetadataMsg(p, m.Payload, now) {
				return
			}
		}
	case wire.Bitfield:
		if p.bitfield != nil && len(p.bitfield) == len(m.Bitfield) {
			for i, b := range m.Bitfield {
				p.bitfield[i] |= b
			}
		} else {
			p.bitfield = append(p.bitfield[:0], m.Bitfield...)
		}
	case wire.HaveAll:
		p.haveAll = true
	case wire.HaveNone:
		p.haveNone = true
	case wire.Have:
		if len(p.haves) < MaxEarlyMessages {
			p.haves = append(p.haves, m.Index)
		}
	case wire.Choke, wire.Unchoke:
		t := m.Type
		p.choke = &t
	case wire.Interested, wire.NotInterested:
		t := m.Type
		p.interest = &t
	}
	ph.request(now)
}

// onExtHandshake takes a peer's BEP 10 handshake; false if it was
// malformed and the peer closed.
func (ph *Phase) onExtHandshake(p *phasePeer, payload []byte) bool {
	eh, err := wire.ParseExtHandshake(payload)
	if err != nil {
		ph.drop(p.id, fmt.Errorf("metadata: extension handshake: %v: %w", err, ErrProtocol))
		return false
	}
	known := p.ext != nil && theirMetadataID(p.ext) > 0
	p.ext = &eh
	p.extRaw = append(p.extRaw[:0], payload...)
	size := eh.MetadataSize
	if theirMetadataID(&eh) == 0 {
		size = 0 // it no longer offers ut_metadata
	}
	if size > 0 || known {
		// A bad or disagreeing size is the Fetcher's to judge; the peer
		// stays connected either way.
		_ = ph.f.AddPeer(p.id, size)
	}
	return true
}

// theirMetadataID is the id a peer wants ut_metadata messages on, 0 if
// it does not speak ut_metadata.
func theirMetadataID(eh *wire.ExtHandshake) uint8 {
	id := eh.M["ut_metadata"]
	if id <= 0 || id > 255 {
		return 0
	}
	return uint8(id)
}

// onMetadataMsg handles a ut_metadata message; true if the Phase is
// finished or p was closed for it (nothing more to do for this message).
func (ph *Phase) onMetadataMsg(p *phasePeer, payload []byte, now time.Time) bool {
	mm, err := wire.ParseMetadataMsg(payload)
	if errors.Is(err, wire.ErrUnknownMessage) {
		return false // BEP 9: ignore unknown message types
	}
	if err != nil {
		ph.drop(p.id, fmt.Errorf("metadata: ut_metadata message: %v: %w", err, ErrProtocol))
		ph.request(now)
		return true
	}
	switch mm.Type {
	case wire.MetadataRequest:
		// We have nothing to serve yet.
		ph.sendMetadataMsg(p, wire.MetadataMsg{Type: wire.MetadataReject, Piece: mm.Piece})
	case wire.MetadataReject:
		ph.f.Rejected(p.id, mm.Piece)
	case wire.MetadataData:
		done, err := ph.f.Received(p.id, mm.Piece, mm.TotalSize, mm.Data, now)
		if done {
			ph.finish()
			return true
		}
		if err != nil {
			ph.dropBanned()
		}
	}
	return false
}

// dropBanned closes every peer the Fetcher banned, in the order they were
// added.
func (ph *Phase) dropBanned() {
	var banned []PeerID
	for _, q := range ph.order {
		if ph.f.Banned(q.id) {
			banned = append(banned, q.id)
		}
	}
	for _, id := range banned {
		ph.drop(id, fmt.Errorf("metadata: peer %d alone sent a copy that failed the info hash: %w", id, ErrBanned))
	}
}

// request keeps every ut_metadata peer asking for missing pieces, in the
// order peers were added.
func (ph *Phase) request(now time.Time) {
	if ph.done {
		return
	}
	for _, p := range ph.order {
		if p.ext == nil || theirMetadataID(p.ext) == 0 {
			continue
		}
		for {
			piece, ok := ph.f.Next(p.id, now)
			if !ok {
				break
			}
			ph.sendMetadataMsg(p, wire.MetadataMsg{Type: wire.MetadataRequest, Piece: piece})
		}
	}
}

// sendMetadataMsg sends a ut_metadata message on the id p asked for; a
// peer that named none gets nothing.
func (ph *Phase) sendMetadataMsg(p *phasePeer, mm wire.MetadataMsg) {
	if p.ext == nil {
		return
	}
	theirID := theirMetadataID(p.ext)
	if theirID == 0 {
		return
	}
	ph.buf = wire.AppendMetadataMsg(ph.buf[:0], mm)
	ph.out.Send(p.id, &wire.Message{Type: wire.Extended, ExtID: theirID, Payload: ph.buf})
}

// finish hands the info dictionary and the peers to the engine.
func (ph *Phase) finish() {
	ph.done = true
	peers := make([]Handoff, 0, len(ph.order))
	for _, p := range ph.order {
		peers = append(peers, Handoff{Peer: p.id, Messages: p.replay()})
	}
	ph.peers, ph.order = nil, nil
	ph.out.Done(ph.f.Info(), peers)
}

// replay is what p told us, as messages for the session.
func (p *phasePeer) replay() []wire.Message {
	var out []wire.Message
	if p.extRaw != nil {
		out = append(out, wire.Message{Type: wire.Extended, ExtID: 0, Payload: p.extRaw})
	}
	switch {
	case p.haveAll:
		out = append(out, wire.Message{Type: wire.HaveAll})
	case p.bitfield != nil:
		out = append(out, wire.Message{Type: wire.Bitfield, Bitfield: p.bitfield})
	case p.haveNone:
		out = append(out, wire.Message{Type: wire.HaveNone})
	}
	for _, h := range p.haves {
		out = append(out, wire.Message{Type: wire.Have, Index: h})
	}
	if p.choke != nil {
		out = append(out, wire.Message{Type: *p.choke})
	}
	if p.interest != nil {
		out = append(out, wire.Message{Type: *p.interest})
	}
	return out
}
