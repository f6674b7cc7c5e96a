package pex

import (
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// Inbox rate-limits and sanity-checks what peers tell us.
type Inbox struct {
	last map[int]time.Time
}

// NewInbox returns an empty Inbox.
func NewInbox() *Inbox {
	return &Inbox{last: map[int]time.Time{}}
}

// Accept returns the addresses worth dialling from peer's message m: none
// if peer's previous accepted message was less than AcceptInterval ago
// (a flood is dropped whole); otherwise m.Added without duplicates or
// invalid addresses (unspecified, multicast, broadcast, IPv6 link-local,
// port 0), IPv4-mapped ones unmapped, at most MaxAccepted. Dropped entries
// are ignored: another peer losing a connection says nothing about ours.
func (in *Inbox) Accept(peer int, m wire.PEXMsg, now time.Time) []netip.AddrPort {
	if last, ok := in.last[peer]; ok && now.Sub(last) < AcceptInterval {
		return nil
	}
	in.last[peer] = now
	var out []netip.AddrPort
	seen := make(map[netip.AddrPort]struct{}, min(len(m.Added), MaxAccepted))
	for _, ap := range m.Added {
		if len(out) == MaxAccepted {
			break
		}
		ap = normalize(ap)
		if _, dup := seen[ap]; dup || !usable(ap) {
			continue
		}
		seen[ap] = struct{}{}
		out = append(out, ap)
	}
	return out
}

// Forget drops peer's rate-limit state (it disconnected).
func (in *Inbox) Forget(peer int) {
	delete(in.last, peer)
}
