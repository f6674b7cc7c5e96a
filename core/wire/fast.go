package wire

import (
	"crypto/sha1"
	"encoding/binary"
)

// AllowedFastSet computes the BEP 6 allowed-fast set of k pieces for a peer
// at ip: the IPv4 address masked to /24 followed by the info hash is hashed
// with SHA-1 repeatedly, and each hash yields five big-endian 32-bit words
// taken modulo numPieces, duplicates skipped. Only IPv4 (4 bytes, or 16
// bytes in IPv4-mapped form) is defined by BEP 6; other addresses get nil.
// k is capped at numPieces so the loop always ends.
func AllowedFastSet(ip []byte, infoHash [20]byte, numPieces, k int) []uint32 {
	v4, ok := ipv4(ip)
	if !ok || numPieces <= 0 || k <= 0 {
		return nil
	}
	k = min(k, numPieces)
	var x [24]byte
	copy(x[:4], v4)
	x[3] = 0
	copy(x[4:], infoHash[:])
	out := make([]uint32, 0, k)
	seen := make(map[uint32]struct{}, k)
	h := sha1.Sum(x[:])
	for {
		for i := 0; i < 5 && len(out) < k; i++ {
			idx := uint32(uint64(binary.BigEndian.Uint32(h[i*4:])) % uint64(numPieces))
			if _, dup := seen[idx]; !dup {
				seen[idx] = struct{}{}
				out = append(out, idx)
			}
		}
		if len(out) >= k {
			return out
		}
		h = sha1.Sum(h[:])
	}
}

var v4InV6Prefix = [12]byte{10: 0xff, 11: 0xff}

func ipv4(ip []byte) ([]byte, bool) {
	switch len(ip) {
	case 4:
		return ip, true
	case 16:
		if [12]byte(ip[:12]) == v4InV6Prefix {
			return ip[12:], true
		}
	}
	return nil, false
}
