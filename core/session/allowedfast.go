package session

import (
	"net/netip"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/wire"
)

// AllowedFastCount is k, the size of the BEP 6 allowed-fast set we grant.
const AllowedFastCount = 10

// grantAllowedFast sends a BEP 6 peer that is choked and has fewer than
// AllowedFastCount pieces its allowed-fast set: the canonical set for its
// IPv4 /24 and the info hash (wire.AllowedFastSet), and only when the
// torrent has more pieces than that. Those of the set we have are
// announced now, the others when they are verified; requests for any piece of the set are served while it is
// choked. BEP 6 defines the set for IPv4 only, so IPv6 peers (and peers
// without a parseable address, or with no info hash configured) get none.
func (s *Session) grantAllowedFast(p *peer) {
	// A super-seeded peer must not learn of pieces it was not offered.
	if !p.info.Fast || p.fastSet != nil || !p.amChoking || p.superSeeded ||
		s.numPieces <= AllowedFastCount || p.has.Count() >= AllowedFastCount ||
		s.cfg.InfoHash == [20]byte{} {
		return
	}
	ip, err := netip.ParseAddr(p.host)
	if err != nil {
		return
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return
	}
	v4 := ip.As4()
	set := wire.AllowedFastSet(v4[:], s.cfg.InfoHash, s.numPieces, AllowedFastCount)
	if len(set) == 0 {
		return
	}
	p.fastSet = bitfield.New(s.numPieces)
	for _, i := range set {
		p.fastSet.Set(int(i))
		if s.have.Has(int(i)) {
			s.sendIndex(p, wire.AllowedFast, int(i))
		}
	}
}

// allowedWhileChoked reports whether piece i is in the allowed-fast set
// we granted p.
func (p *peer) allowedWhileChoked(i int) bool {
	return p.fastSet != nil && p.fastSet.Has(i)
}
