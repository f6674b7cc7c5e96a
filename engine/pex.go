package engine

import (
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
)

// onExtended handles extension messages once the session runs: metadata
// requests are served from our info dictionary, PEX adds peer candidates.
func (t *Torrent) onExtended(id session.PeerID, extID uint8, payload []byte) {
	p := t.peers[id]
	if p == nil {
		return
	}
	switch extID {
	case extMetadata:
		mm, err := wire.ParseMetadataMsg(payload)
		if err != nil {
			return
		}
		if mm.Type == wire.MetadataRequest {
			t.sendMetadata(id, t.sess.PeerExtHandshake(id), mm.Piece)
		}
	case extPEX:
		if t.info.Private {
			return // BEP 27: private torrents learn peers from their trackers only
		}
		m, err := wire.ParsePEX(payload)
		if err != nil {
			return
		}
		t.noteIntroductions(id, m)
		t.e.cfg.Logger.Debug("pex", "from", p.addr, "added", m.Added, "flags", m.AddedFlags)
		now := t.e.clock.Now()
		// A peer met in a hybrid's v2 swarm names peers of that swarm.
		v2 := t.hasAlias.Load() && p.hs.InfoHash == t.alias
		for _, a := range t.pexIn.Accept(int(id), m, now) {
			if v2 {
				t.markV2([]string{a.String()})
			}
			t.book.Add(a.String(), peers.FromPEX, now)
		}
	case extHolepunch:
		t.onHolepunch(id, payload)
	}
}

// sendPEX tells each PEX-capable peer which peers we are connected to, at
// most once a minute per peer (the Outbox paces and diffs).
func (t *Torrent) sendPEX(now time.Time) {
	if t.info.Private || len(t.peers) < 2 {
		return
	}
	type known struct {
		id    session.PeerID
		ap    netip.AddrPort
		flags byte
	}
	connected := make([]known, 0, len(t.peers))
	for id, p := range t.peers {
		ap, err := netip.ParseAddrPort(p.addr)
		if err != nil {
			continue
		}
		if !p.outgoing {
			// An incoming peer's source port is ephemeral: advertise the
			// listen port its extension handshake names, if any.
			eh := t.sess.PeerExtHandshake(id)
			if eh == nil || eh.Port <= 0 || eh.Port > 65535 {
				continue
			}
			ap = netip.AddrPortFrom(ap.Addr(), uint16(eh.Port))
		}
		connected = append(connected, known{id, ap, pexFlags(p, t.sess.PeerSeed(id), t.holepunchID(id) != 0)})
	}
	for id, p := range t.peers {
		theirID := t.sess.PeerExtID(id, "ut_pex")
		if theirID == 0 {
			continue
		}
		others := make([]netip.AddrPort, 0, len(connected))
		flags := make([]byte, 0, len(connected))
		for _, k := range connected {
			if k.id != id { // never tell a peer about itself
				others = append(others, k.ap)
				flags = append(flags, k.flags)
			}
		}
		m, ok := t.pexOut.Message(int(id), others, flags, now)
		if !ok {
			continue
		}
		p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: theirID, Payload: wire.AppendPEX(nil, m)})
	}
}

// pexFlags describes a connected peer to others (BEP 11): reached over
// uTP (libtorrent then dials it over uTP), reached by our own dial (so it
// accepts connections), a seed, speaks ut_holepunch (so we can introduce
// others to it, BEP 55).
func pexFlags(p *peerConn, seed, holepunch bool) byte {
	var f byte
	if holepunch {
		f |= wire.PEXHolepunch
	}
	if p.traits.PEXUTP {
		f |= wire.PEXUTP
	}
	if p.outgoing {
		f |= wire.PEXReachable
	}
	if seed {
		f |= wire.PEXSeed
	}
	return f
}
