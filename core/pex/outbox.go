package pex

import (
	"net/netip"
	"slices"
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// Outbox tracks, per remote peer, which addresses we last told it, and
// builds BEP 11 diffs no more than once per SendInterval per peer, at most
// MaxAdded added and MaxDropped dropped per message (the rest follow in
// later messages).
type Outbox struct {
	peers map[int]*outPeer
}

type outPeer struct {
	told map[netip.AddrPort]struct{}
	last time.Time
	sent bool
}

// NewOutbox returns an empty Outbox.
func NewOutbox() *Outbox {
	return &Outbox{peers: map[int]*outPeer{}}
}

// Message returns what to send peer now, given the addresses of the peers
// we are connected to (exclude peer's own; only addresses others can dial
// belong here) and, when flags is not nil, each one's BEP 11 flags
// (wire.PEXUTP and so on; flags[i] goes with connected[i]). Added keeps the
// order of connected, Dropped is sorted. false: nothing changed since the
// last message, or the last one was less than SendInterval ago. A returned
// message counts as sent.
func (o *Outbox) Message(peer int, connected []netip.AddrPort, flags []byte, now time.Time) (wire.PEXMsg, bool) {
	st := o.peers[peer]
	if st == nil {
		st = &outPeer{told: map[netip.AddrPort]struct{}{}}
		o.peers[peer] = st
	}
	if st.sent && now.Sub(st.last) < SendInterval {
		return wire.PEXMsg{}, false
	}
	current := make(map[netip.AddrPort]struct{}, len(connected))
	var m wire.PEXMsg
	for i, ap := range connected {
		ap = normalize(ap)
		if !usable(ap) {
			continue
		}
		if _, dup := current[ap]; dup {
			continue
		}
		current[ap] = struct{}{}
		if _, ok := st.told[ap]; !ok && len(m.Added) < MaxAdded {
			m.Added = append(m.Added, ap)
			var f byte
			if i < len(flags) {
				f = flags[i]
			}
			m.AddedFlags = append(m.AddedFlags, f)
		}
	}
	for ap := range st.told {
		if _, ok := current[ap]; !ok {
			m.Dropped = append(m.Dropped, ap)
		}
	}
	slices.SortFunc(m.Dropped, netip.AddrPort.Compare)
	if len(m.Dropped) > MaxDropped {
		m.Dropped = m.Dropped[:MaxDropped]
	}
	if len(m.Added) == 0 && len(m.Dropped) == 0 {
		return wire.PEXMsg{}, false
	}
	for _, ap := range m.Added {
		st.told[ap] = struct{}{}
	}
	for _, ap := range m.Dropped {
		delete(st.told, ap)
	}
	if m.AddedFlags == nil {
		m.AddedFlags = []byte{}
	}
	st.last, st.sent = now, true
	return m, true
}

// Forget drops what we told peer (it disconnected).
func (o *Outbox) Forget(peer int) {
	delete(o.peers, peer)
}
