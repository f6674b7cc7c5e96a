package peers

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/netip"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Priority is BEP 40's canonical priority of a connection between a and
// b: a number both ends compute alike, so that when peers must choose
// which connections to keep, the swarm agrees on the choice and a host
// cannot take every slot by connecting first. ok is false when the two
// are not addresses of the same family.
//
// IPv4 follows the BEP: the addresses masked (FF.FF.55.55 across /16s,
// FF.FF.FF.55 within a /16, unmasked within a /24), ordered, CRC32-C. For
// IPv6 the BEP leaves the masks open; this uses libtorrent's (the first
// 64 bits masked by FFFF:FFFF:5555:5555 across /32s, FFFF:FFFF:FFFF:5555
// within a /32, unmasked within a /48; the low 64 bits always kept), so
// that Braid and libtorrent agree. Identical addresses hash their ports.
func Priority(a, b netip.AddrPort) (uint32, bool) {
	ia, ib := a.Addr().Unmap(), b.Addr().Unmap()
	if !ia.IsValid() || !ib.IsValid() || ia.Is4() != ib.Is4() {
		return 0, false
	}
	if ia == ib {
		pa, pb := a.Port(), b.Port()
		if pa > pb {
			pa, pb = pb, pa
		}
		var buf [4]byte
		binary.BigEndian.PutUint16(buf[:2], pa)
		binary.BigEndian.PutUint16(buf[2:], pb)
		return crc32.Checksum(buf[:], castagnoli), true
	}
	var x, y []byte
	if ia.Is4() {
		x4, y4 := ia.As4(), ib.As4()
		mask := priorityMask(x4[:], y4[:], 2, 3, 4)
		x, y = applyMask(x4[:], mask), applyMask(y4[:], mask)
	} else {
		x16, y16 := ia.As16(), ib.As16()
		mask := priorityMask(x16[:], y16[:], 4, 6, 8)
		x = append(applyMask(x16[:8], mask), x16[8:]...)
		y = append(applyMask(y16[:8], mask), y16[8:]...)
	}
	if bytes.Compare(x, y) > 0 {
		x, y = y, x
	}
	h := crc32.Update(0, castagnoli, x)
	return crc32.Update(h, castagnoli, y), true
}

// priorityMask returns the mask for the first n bytes of two addresses:
// bytes before wide are kept; past it, 0x55 hides all but alternate bits,
// and a common prefix of mid bytes keeps one byte more; of n bytes, all.
func priorityMask(x, y []byte, wide, mid, n int) []byte {
	keep := wide
	switch {
	case bytes.Equal(x[:mid], y[:mid]):
		keep = n
	case bytes.Equal(x[:wide], y[:wide]):
		keep = mid
	}
	mask := make([]byte, n)
	for i := range mask {
		mask[i] = 0x55
		if i < keep {
			mask[i] = 0xff
		}
	}
	return mask
}

func applyMask(b, mask []byte) []byte {
	out := make([]byte, len(mask))
	for i := range mask {
		out[i] = b[i] & mask[i]
	}
	return out
}

// SetSelf tells the book our address as peers see it (our external IP
// and listen port). The book forgets and refuses candidates at that
// address. From then on it ranks connections and
// candidates by BEP 40 priority: among candidates due at the same time
// the higher-ranked is dialled first, and a full book makes room for an
// incoming connection that outranks its lowest-ranked one (never a
// user-named peer's).
func (b *Book) SetSelf(self netip.AddrPort) {
	if self == b.self {
		return
	}
	b.self = netip.AddrPortFrom(self.Addr().Unmap(), self.Port())
	for addr := range b.cands {
		if b.isSelf(addr) {
			delete(b.cands, addr) // in flight or not: a dial to ourselves fails
		}
	}
	for _, cn := range b.conns {
		cn.prio, cn.ranked = b.priorityOf(cn.addr)
	}
	for _, c := range b.cands {
		c.prio, c.ranked = b.priorityOf(c.addr)
	}
}

// isSelf reports whether addr is our own address (SetSelf): peers name it
// in PEX, and a dial to it, where nothing lets it through, would only time
// out (so the handshake never shows our own peer id).
func (b *Book) isSelf(addr string) bool {
	if !b.self.IsValid() {
		return false
	}
	ap, err := netip.ParseAddrPort(trimUTP(addr))
	return err == nil && netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) == b.self
}

// Self returns what SetSelf set.
func (b *Book) Self() netip.AddrPort { return b.self }

// priorityOf ranks addr against our address; false when either is
// unknown or they are of different families.
func (b *Book) priorityOf(addr string) (uint32, bool) {
	if !b.self.IsValid() {
		return 0, false
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return 0, false
	}
	return Priority(b.self, ap)
}

// evictionFor returns the open connection a new one from addr may replace
// in a full book: the lowest-ranked, if addr outranks it. Connections to
// user-named peers and unranked ones are kept.
func (b *Book) evictionFor(addr string) (ConnID, bool) {
	p, ok := b.priorityOf(addr)
	if !ok {
		return 0, false
	}
	var victim ConnID
	var low uint32
	found := false
	for id, cn := range b.conns {
		if !cn.ranked {
			continue
		}
		if c, ok := b.cands[cn.addr]; ok && c.named {
			continue
		}
		// Ties go to the lower id, so the choice never follows map order.
		if !found || cn.prio < low || (cn.prio == low && id < victim) {
			victim, low, found = id, cn.prio, true
		}
	}
	if !found || p <= low {
		return 0, false
	}
	return victim, true
}
