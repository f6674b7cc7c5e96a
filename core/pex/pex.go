// Package pex decides what Braid tells peers and believes from them in
// BEP 11 peer exchange (ut_pex). The Outbox keeps, per remote peer, the
// addresses last told and builds bounded diffs at a polite rate; the Inbox
// rate-limits and filters what peers tell us. Both are sans-I/O: the
// caller passes the time in and sends or dials what they return. Neither
// is safe for concurrent use; the torrent's loop owns them.
package pex

import (
	"net/netip"
	"time"
)

// Rates and sizes. libtorrent drops peers that send PEX much more often
// than once a minute, and BEP 11 asks for at most 50 added and 50 dropped
// peers per message.
const (
	SendInterval   = time.Minute      // per peer, between our messages
	MaxAdded       = 50               // added peers per message we send
	MaxDropped     = 50               // dropped peers per message we send
	AcceptInterval = 45 * time.Second // per peer, between messages we accept
	MaxAccepted    = 50               // addresses taken from one message
)

// normalize strips IPv4-mapped prefixes, so one peer has one form.
func normalize(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// usable reports whether ap (normalized) could be a peer at all. Loopback
// and private addresses pass: local swarms and tests use them. IPv6
// link-local ones do not: without their zone no one else can dial them.
func usable(ap netip.AddrPort) bool {
	a := ap.Addr()
	if !a.IsValid() || ap.Port() == 0 || a.IsUnspecified() || a.IsMulticast() ||
		a.Zone() != "" || a.Is6() && a.IsLinkLocalUnicast() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		if b[0] == 0 || b == [4]byte{255, 255, 255, 255} { // "this network", broadcast
			return false
		}
	}
	return true
}
