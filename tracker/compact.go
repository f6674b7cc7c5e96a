package tracker

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Compact peer encodings (BEP 23, BEP 7): address bytes then a big-endian port.
const (
	compactLen4 = 6
	compactLen6 = 18
)

// parseCompactPeers decodes a run of compact peers of one family, skipping
// port 0 entries. A length that is not a multiple of the entry size is
// malformed.
func parseCompactPeers(b []byte, v6 bool) ([]netip.AddrPort, error) {
	size := compactLen4
	if v6 {
		size = compactLen6
	}
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%w: compact peers length %d not a multiple of %d", ErrMalformed, len(b), size)
	}
	peers := make([]netip.AddrPort, 0, len(b)/size)
	for ; len(b) > 0; b = b[size:] {
		var ip netip.Addr
		if v6 {
			ip = netip.AddrFrom16([16]byte(b[:16])).Unmap()
		} else {
			ip = netip.AddrFrom4([4]byte(b[:4]))
		}
		port := binary.BigEndian.Uint16(b[size-2 : size])
		if port == 0 {
			continue
		}
		peers = append(peers, netip.AddrPortFrom(ip, port))
	}
	return peers, nil
}

// appendCompactPeer appends p in the 6-byte form if it is IPv4 (or
// v4-mapped) and in the 18-byte form otherwise.
func appendCompactPeer(dst []byte, p netip.AddrPort) []byte {
	ip := p.Addr().Unmap()
	if ip.Is4() {
		a := ip.As4()
		dst = append(dst, a[:]...)
	} else {
		a := ip.As16()
		dst = append(dst, a[:]...)
	}
	return binary.BigEndian.AppendUint16(dst, p.Port())
}
