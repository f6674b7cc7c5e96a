// BEP 55 (ut_holepunch): two peers that cannot accept connections (behind
// NATs or firewalls) meet through a third they are both connected to.
// core/holepunch keeps the bookkeeping (who introduced which candidate,
// pacing, per-peer rates); this is its I/O: the messages, and the uTP
// dials a connect message asks for. Both ends dial at once, so each one's
// outgoing datagrams open its own side for the other's.

package engine

import (
	"errors"
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/holepunch"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
)

// extHolepunch is the id we receive ut_holepunch messages on.
const extHolepunch = 5

// holepunchState is the torrent's bookkeeping, made on first use.
func (t *Torrent) holepunchState() *holepunch.State {
	if t.hp == nil {
		t.hp = holepunch.New()
	}
	return t.hp
}

// holepunchID is the id p receives ut_holepunch on; 0 when it does not.
func (t *Torrent) holepunchID(id session.PeerID) uint8 {
	return t.sess.PeerExtID(id, wire.ExtNameHolepunch)
}

// sendHolepunch sends m to p, if p speaks ut_holepunch.
func (t *Torrent) sendHolepunch(p *peerConn, m wire.HolepunchMsg) bool {
	theirs := t.holepunchID(p.id)
	if theirs == 0 {
		return false
	}
	p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: theirs, Payload: wire.AppendHolepunch(nil, m)})
	return true
}

// reachableAt is the address others can dial p at: where we dialled it,
// or for an incoming peer the listen port its extension handshake named
// (an incoming uTP peer's source port is its socket's, so that one too).
func (t *Torrent) reachableAt(p *peerConn) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(withoutScheme(p.addr))
	if err != nil {
		return netip.AddrPort{}, false // WebRTC, WebSocket: no IP to punch
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if p.outgoing {
		return ap, true
	}
	if eh := t.sess.PeerExtHandshake(p.id); eh != nil && eh.Port > 0 && eh.Port <= 65535 {
		return netip.AddrPortFrom(ap.Addr(), uint16(eh.Port)), true
	}
	return ap, p.traits.PEXUTP
}

// peerAt finds the connection to the peer reachable at ap.
func (t *Torrent) peerAt(ap netip.AddrPort) *peerConn {
	for _, p := range t.peers {
		if at, ok := t.reachableAt(p); ok && at == ap {
			return p
		}
	}
	return nil
}

// onHolepunch handles a ut_holepunch message from peer id.
func (t *Torrent) onHolepunch(id session.PeerID, payload []byte) {
	from := t.peers[id]
	if from == nil || t.info.Private {
		return
	}
	m, err := wire.ParseHolepunch(payload)
	if err != nil {
		t.e.cfg.Logger.Debug("bad ut_holepunch message", "addr", from.addr, "err", err)
		return
	}
	now := t.e.clock.Now()
	hp := t.holepunchState()
	switch m.Type {
	case wire.HolepunchRendezvous:
		if !hp.AllowRelay(int(id), now) {
			return
		}
		t.relayRendezvous(from, m.Addr)
	case wire.HolepunchConnect:
		if !hp.AllowConnect(int(id), now) {
			return
		}
		t.punch(m.Addr, now)
	case wire.HolepunchError:
		t.e.cfg.Logger.Debug("holepunch refused", "relay", from.addr, "target", m.Addr, "code", m.Err)
	}
}

// relayRendezvous serves from's request to meet the peer at target: each
// is told to connect to the other, or from hears why not.
func (t *Torrent) relayRendezvous(from *peerConn, target netip.AddrPort) {
	fail := func(code uint32) {
		t.sendHolepunch(from, wire.HolepunchMsg{Type: wire.HolepunchError, Addr: target, Err: code})
	}
	fromAt, ok := t.reachableAt(from)
	switch {
	case !ok:
		return
	case fromAt == target:
		fail(wire.HolepunchNoSelf)
		return
	}
	to := t.peerAt(target)
	switch {
	case to == nil:
		fail(wire.HolepunchNotConnected)
	case t.holepunchID(to.id) == 0:
		fail(wire.HolepunchNoSupport)
	default:
		t.e.cfg.Logger.Debug("holepunch: introducing", "from", fromAt, "to", target)
		t.sendHolepunch(to, wire.HolepunchMsg{Type: wire.HolepunchConnect, Addr: fromAt})
		t.sendHolepunch(from, wire.HolepunchMsg{Type: wire.HolepunchConnect, Addr: target})
	}
}

// punch dials ap over uTP at once, as a relay asked: the peer at ap dials
// us at the same moment.
func (t *Torrent) punch(ap netip.AddrPort, now time.Time) {
	if t.e.blockedIP(ap.Addr()) {
		return
	}
	addr := "utp://" + ap.String()
	if _, _, err := t.e.dialerFor(addr); err != nil {
		return // no uTP here: nothing to punch with
	}
	if !t.book.Punch(addr, now) {
		return
	}
	t.e.cfg.Logger.Debug("holepunch: connecting", "addr", addr)
	t.dialAsync(addr)
}

// askIntroduction follows a failed dial of addr: a peer whose PEX named
// addr as holepunch-capable is asked to introduce us (BEP 55), unless the
// torrent is private.
func (t *Torrent) askIntroduction(addr string, err error, now time.Time) {
	var df *dialFailed
	if t.info == nil || t.info.Private || !errors.As(err, &df) {
		return
	}
	ap, perr := netip.ParseAddrPort(withoutScheme(addr))
	if perr != nil {
		return
	}
	via, ok := t.holepunchState().Rendezvous(ap, now)
	if !ok {
		return
	}
	if p := t.peers[session.PeerID(via)]; p != nil {
		t.e.cfg.Logger.Debug("holepunch: asking for an introduction", "via", p.addr, "target", ap)
		t.sendHolepunch(p, wire.HolepunchMsg{Type: wire.HolepunchRendezvous, Addr: ap})
	}
}

// noteIntroductions remembers which candidates peer id can introduce us
// to: those its PEX flags as holepunch-capable.
func (t *Torrent) noteIntroductions(id session.PeerID, m wire.PEXMsg) {
	for i, ap := range m.Added {
		if i < len(m.AddedFlags) && m.AddedFlags[i]&wire.PEXHolepunch != 0 {
			t.holepunchState().Introduced(int(id), ap)
		}
	}
}
