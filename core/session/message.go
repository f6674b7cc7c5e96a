package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// maxClientName bounds the client name kept from a peer's handshake.
const maxClientName = 64

// Message handles one parsed message from p. A protocol violation closes
// the peer with an error wrapping ErrProtocol. Messages of unknown peers are
// ignored (the peer may have been closed while its messages were queued).
func (s *Session) Message(id PeerID, m *wire.Message, now time.Time) {
	s.touch(now)
	p := s.peers[id]
	if p == nil || m.KeepAlive {
		return
	}
	if err := s.handle(p, m, now); err != nil {
		s.drop(p, err, now)
		s.fillSlots(now)
	}
	s.dropDoomed(now)
}

func protoErr(format string, args ...any) error {
	return fmt.Errorf("session: "+format+": %w", append(args, ErrProtocol)...)
}

func (s *Session) handle(p *peer, m *wire.Message, now time.Time) error {
	switch m.Type {
	case wire.Choke:
		p.started = true
		s.onChoked(p, now)
	case wire.Unchoke:
		p.started = true
		if p.peerChoking {
			p.peerChoking = false
			if len(p.reqs) > 0 {
				p.waitingSince = now
			}
		}
		s.fill(p, now)
	case wire.Interested:
		p.started = true
		if !p.peerInterested {
			p.peerInterested = true
			s.fillSlots(now)
		}
	case wire.NotInterested:
		p.started = true
		if p.peerInterested {
			p.peerInterested = false
			if !p.amChoking {
				// Free its slot for someone who wants data.
				s.choke(p)
				s.fillSlots(now)
			}
		}
	case wire.Have:
		p.started = true
		return s.onHave(p, m.Index, now)
	case wire.Bitfield:
		bf, err := bitfield.FromBytes(m.Bitfield, s.numPieces)
		if err != nil {
			return fmt.Errorf("session: bad bitfield: %v: %w", err, ErrProtocol)
		}
		if p.announced || p.started {
			return s.reannounce(p, bf, now)
		}
		if err := s.checkFirst(p, m.Type); err != nil {
			return err
		}
		s.setHas(p, bf, now)
	case wire.HaveAll, wire.HaveNone:
		if !p.info.Fast {
			return protoErr("%s without the fast extension", m.Type)
		}
		var bf *bitfield.Bitfield
		if m.Type == wire.HaveAll {
			bf = bitfield.New(s.numPieces)
			bf.SetAll()
		}
		if p.announced || p.started {
			if bf == nil {
				return nil // a peer never loses pieces
			}
			return s.reannounce(p, bf, now)
		}
		if err := s.checkFirst(p, m.Type); err != nil {
			return err
		}
		if bf != nil {
			s.setHas(p, bf, now)
		} else {
			if p.superSeeded {
				s.offerPieces(p, -1)
			}
			s.grantAllowedFast(p)
		}
	case wire.Request:
		p.started = true
		return s.onRequest(p, m, now)
	case wire.Piece:
		p.started = true
		return s.onPiece(p, m, now)
	case wire.Cancel:
		p.started = true
		s.onCancel(p, m)
	case wire.Reject:
		if !p.info.Fast {
			return protoErr("reject without the fast extension")
		}
		p.started = true
		b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
		if i := p.findRequest(b); i >= 0 {
			p.removeRequest(i)
			s.pk.Unrequest(b)
			// No refill here: the picker would likely hand the same block
			// straight back. The next tick or block refills.
		}
	case wire.AllowedFast:
		if !p.info.Fast {
			return protoErr("allowed fast without the fast extension")
		}
		s.onAllowedFast(p, m.Index, now)
	case wire.Suggest:
		if !p.info.Fast {
			return protoErr("suggest without the fast extension")
		}
	case wire.Extended:
		return s.onExtended(p, m, now)
	}
	// Port (DHT, handled by the engine) and unknown types are ignored.
	return nil
}

// reannounce takes a bitfield or HAVE_ALL sent after the connection's
// first messages. aria2 re-sends its whole bitfield mid-connection instead
// of HAVEs, and HAVE_ALL when it completes; libtorrent and Transmission
// accept that, so do we: new pieces count as HAVEs, and a peer never
// loses pieces.
func (s *Session) reannounce(p *peer, bf *bitfield.Bitfield, now time.Time) error {
	p.announced = true
	for _, i := range bf.Indices() {
		if err := s.onHave(p, uint32(i), now); err != nil {
			return err
		}
	}
	return nil
}

// checkFirst enforces that what a peer has is announced once, before
// messages that depend on it. BEP 10 handshakes, ports and allowed-fast
// messages may come first; several clients send them before the bitfield.
func (s *Session) checkFirst(p *peer, t wire.MsgType) error {
	if p.announced {
		return protoErr("second %s", t)
	}
	if p.started {
		return protoErr("%s after other messages", t)
	}
	p.announced, p.started = true, true
	return nil
}

// wanted reports whether we still need piece i.
func (s *Session) wanted(i int) bool {
	return !s.have.Has(i) && s.pk.PiecePriority(i) > picker.PriorityNone
}

// countWanted is how many of bf's pieces we want.
func (s *Session) countWanted(bf *bitfield.Bitfield) int {
	n := 0
	for j, x := range bf.Bytes() {
		if x == 0 {
			continue
		}
		for k := range 8 {
			if x&(0x80>>k) != 0 && s.wanted(j*8+k) {
				n++
			}
		}
	}
	return n
}

// setHas installs the peer's first announcement of what it has.
func (s *Session) setHas(p *peer, bf *bitfield.Bitfield, now time.Time) {
	p.has = bf
	if !bf.None() {
		s.pk.PeerBitfield(bf)
	}
	if p.allowed != nil {
		for _, i := range p.allowed.Indices() {
			if bf.Has(i) {
				p.fastHas.Set(i)
			}
		}
	}
	p.wantCount = s.countWanted(bf)
	if p.superSeeded {
		s.offerPieces(p, -1) // offers it turned out to have are replaced
	}
	s.grantAllowedFast(p)
	if s.redundant(p) {
		s.doomed = append(s.doomed, doomedPeer{p, ErrBothSeeds})
		return
	}
	s.updateInterest(p)
	s.fill(p, now)
}

func (s *Session) onHave(p *peer, index uint32, now time.Time) error {
	if uint64(index) >= uint64(s.numPieces) {
		return protoErr("have %d of %d pieces", index, s.numPieces)
	}
	i := int(index)
	if p.has.Has(i) {
		return nil
	}
	p.has.Set(i)
	s.pk.PeerHave(i)
	if p.allowed != nil && p.allowed.Has(i) {
		p.fastHas.Set(i)
	}
	s.superSeedSaw(p, i)
	if s.redundant(p) {
		s.doomed = append(s.doomed, doomedPeer{p, ErrBothSeeds})
		return nil
	}
	if s.wanted(i) {
		p.wantCount++
		s.updateInterest(p)
		s.fill(p, now)
	}
	return nil
}

// redundant reports whether neither side needs the other: it has every
// piece or said upload_only (BEP 21), and we want nothing more.
func (s *Session) redundant(p *peer) bool {
	return (p.seed() || p.uploadOnly) && s.pk.Done()
}

func (s *Session) onAllowedFast(p *peer, index uint32, now time.Time) {
	if uint64(index) >= uint64(s.numPieces) {
		return // harmless; some clients compute sets for other geometries
	}
	i := int(index)
	if p.allowed == nil {
		p.allowed = bitfield.New(s.numPieces)
		p.fastHas = bitfield.New(s.numPieces)
	}
	p.allowed.Set(i)
	if p.has.Has(i) {
		p.fastHas.Set(i)
	}
	if p.peerChoking {
		s.fill(p, now)
	}
}

func (s *Session) onExtended(p *peer, m *wire.Message, now time.Time) error {
	if !p.info.Extended {
		return protoErr("extended message without BEP 10")
	}
	if ok, err := s.onSessionExt(p, m.ExtID, m.Payload, now); ok {
		return err
	}
	if m.ExtID != 0 {
		s.out.Extended(p.id, m.ExtID, m.Payload)
		return nil
	}
	eh, err := wire.ParseExtHandshake(m.Payload)
	if err != nil {
		return fmt.Errorf("session: extension handshake: %v: %w", err, ErrProtocol)
	}
	p.ext = &eh
	p.reqq = eh.ReqQ
	p.client = clientName(eh.V)
	s.setPeerUploadOnly(p, eh.UploadOnly)
	return nil
}

// clientName keeps a printable, bounded copy of a peer's client name.
func clientName(v string) string {
	v = strings.ToValidUTF8(v, "?")
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
	if len(v) > maxClientName {
		v = strings.ToValidUTF8(v[:maxClientName], "")
	}
	return v
}

// updateInterest tells p whether we want something it has.
func (s *Session) updateInterest(p *peer) {
	want := !s.stopped && p.wantCount > 0
	if want == p.amInterested {
		return
	}
	p.amInterested = want
	if want {
		s.send(p, wire.Interested)
	} else {
		s.send(p, wire.NotInterested)
	}
}

// PeerSeed reports whether peer id has every piece; false for unknown ids.
func (s *Session) PeerSeed(id PeerID) bool {
	p := s.peers[id]
	return p != nil && p.seed()
}

// PeerExtID returns the id peer id receives extension name on (its BEP 10
// handshake's m), 0 when it does not speak it or sent no handshake.
func (s *Session) PeerExtID(id PeerID, name string) uint8 {
	if p := s.peers[id]; p != nil {
		return p.extID(name)
	}
	return 0
}

// PeerExtHandshake returns p's BEP 10 handshake, or nil if it sent none.
// The engine reads extension ids (ut_metadata, ut_pex) from it.
func (s *Session) PeerExtHandshake(id PeerID) *wire.ExtHandshake {
	if p := s.peers[id]; p != nil {
		return p.ext
	}
	return nil
}
