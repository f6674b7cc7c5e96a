package session

import (
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// Extension ids Braid assigns in its BEP 10 handshake to the extension
// messages the session handles itself. The engine's own extensions
// (ut_metadata, ut_pex) use other ids.
const (
	ExtUploadOnly uint8 = 3 // BEP 21 upload_only
	ExtDontHave   uint8 = 4 // BEP 54 lt_donthave
)

// initExt prepares our extension handshake: the engine's payload with the
// session's extensions added to m and upload_only set while every wanted
// piece is verified. A payload that does not parse is sent unchanged.
func (s *Session) initExt() {
	s.uploadOnly = s.pk.Done()
	s.extBytes = s.cfg.ExtHandshake
	if s.cfg.ExtHandshake == nil {
		return
	}
	eh, err := wire.ParseExtHandshake(s.cfg.ExtHandshake)
	if err != nil {
		return
	}
	eh.M[wire.ExtNameUploadOnly] = int(ExtUploadOnly)
	eh.M[wire.ExtNameDontHave] = int(ExtDontHave)
	eh.UploadOnly = s.uploadOnly
	s.ourExt = &eh
	s.extBytes = eh.Encode()
}

// extFor is our extension handshake as p gets it: with yourip, p's
// address as we see it, when p has an IP address. Peers learn their
// external address from it, which BEP 40 ranking needs.
//
// A super-seeded peer is not told upload_only: it would see a peer that
// wants nothing and (yet) offers nothing, which libtorrent disconnects as
// uninteresting; libtorrent's super-seeding leaves it out too.
func (s *Session) extFor(p *peer) []byte {
	if s.ourExt == nil {
		return s.extBytes
	}
	ap, err := netip.ParseAddrPort(p.info.Addr)
	if err != nil && !p.superSeeded {
		return s.extBytes
	}
	eh := *s.ourExt
	if err == nil {
		eh.YourIP = ap.Addr().Unmap().AsSlice()
	}
	if p.superSeeded {
		eh.UploadOnly = false
	}
	return eh.Encode()
}

// UploadOnly reports whether we advertise BEP 21 upload_only: every wanted
// piece is verified (a seed, or a partial seed of a file selection).
func (s *Session) UploadOnly() bool { return s.uploadOnly }

// updateUploadOnly tells peers when we become upload-only or want pieces
// again: an upload_only message to peers that accept it (libtorrent's
// way), an updated extension handshake to other BEP 10 peers.
func (s *Session) updateUploadOnly() {
	uo := s.pk.Done()
	if uo == s.uploadOnly {
		return
	}
	s.uploadOnly = uo
	if s.ourExt == nil {
		return
	}
	s.ourExt.UploadOnly = uo
	s.extBytes = s.ourExt.Encode()
	for _, p := range s.order {
		if !p.info.Extended {
			continue
		}
		if id := p.extID(wire.ExtNameUploadOnly); id != 0 {
			s.extScratch = wire.AppendUploadOnly(s.extScratch[:0], uo)
			s.msg = wire.Message{Type: wire.Extended, ExtID: id, Payload: s.extScratch}
		} else {
			s.msg = wire.Message{Type: wire.Extended, ExtID: 0, Payload: s.extFor(p)}
		}
		s.out.Send(p.id, &s.msg)
	}
}

// extID is the id p receives extension name on; 0 when it does not.
func (p *peer) extID(name string) uint8 {
	if p.ext == nil {
		return 0
	}
	return uint8(p.ext.M[name]) // parsed ids are within 0..255
}

// setPeerUploadOnly records p's upload_only; a peer that wants nothing is
// dropped when we want nothing either, as two seeds are.
func (s *Session) setPeerUploadOnly(p *peer, uo bool) {
	p.uploadOnly = uo
	if s.redundant(p) {
		s.doomed = append(s.doomed, doomedPeer{p, ErrBothSeeds})
	}
}

// onSessionExt handles the extension messages the session owns; false
// when extID is none of them.
func (s *Session) onSessionExt(p *peer, extID uint8, payload []byte, now time.Time) (bool, error) {
	switch extID {
	case ExtUploadOnly:
		uo, err := wire.ParseUploadOnly(payload)
		if err != nil {
			return true, protoErr("%v", err)
		}
		s.setPeerUploadOnly(p, uo)
		return true, nil
	case ExtDontHave:
		idx, err := wire.ParseDontHave(payload)
		if err != nil {
			return true, protoErr("%v", err)
		}
		return true, s.onDontHave(p, idx, now)
	}
	return false, nil
}

// onDontHave takes a piece p says it lost (BEP 54): availability drops,
// and requests to p in that piece go back to the picker.
func (s *Session) onDontHave(p *peer, index uint32, now time.Time) error {
	if uint64(index) >= uint64(s.numPieces) {
		return protoErr("lt_donthave %d of %d pieces", index, s.numPieces)
	}
	i := int(index)
	if !p.has.Has(i) {
		return nil
	}
	p.has.Clear(i)
	s.pk.PeerLost(i)
	if p.fastHas != nil {
		p.fastHas.Clear(i)
	}
	if s.wanted(i) {
		p.wantCount--
	}
	for k := 0; k < len(p.reqs); {
		r := p.reqs[k]
		if r.b.Piece != i {
			k++
			continue
		}
		p.removeRequest(k)
		s.pk.Unrequest(r.b)
		s.sendBlockMsg(p, wire.Cancel, r.b)
		p.gaveUp(r.b, now)
	}
	s.updateInterest(p)
	s.fill(p, now)
	return nil
}
