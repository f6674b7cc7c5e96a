package wire

import (
	"fmt"
	"net/netip"

	"github.com/anacrolix/torrent/bencode"

	"github.com/braid-bt/braid/core/benc"
)

// MaxPEXPeers bounds each list of a ut_pex message. BEP 11 asks senders
// for at most 50 added and 50 dropped; some send more, none sanely this
// many.
const MaxPEXPeers = 200

// maxPEX bounds a whole ut_pex payload: six full lists take about 10 KiB.
const maxPEX = 32 << 10

// Flags of an added peer (BEP 11 added.f).
const (
	PEXEncryption byte = 0x01 // prefers encrypted connections
	PEXSeed       byte = 0x02 // is a seed or upload-only
	PEXUTP        byte = 0x04 // supports uTP
	PEXHolepunch  byte = 0x08 // supports ut_holepunch
	PEXReachable  byte = 0x10 // the sender reached it by an outgoing connection
)

// PEXMsg is one ut_pex message (BEP 11), IPv4 and IPv6 peers together.
type PEXMsg struct {
	Added []netip.AddrPort
	// AddedFlags holds one flags byte per Added entry. ParsePEX always
	// fills it (zeros when the sender gave none); AppendPEX treats
	// missing entries as zero.
	AddedFlags []byte
	Dropped    []netip.AddrPort
}

// ParsePEX decodes a ut_pex payload. The compact lists must be whole
// 6-byte (added, dropped) or 18-byte (added6, dropped6) entries, at most
// MaxPEXPeers each (ErrTooLong beyond). Flags whose length does not match
// their list are ignored. Entries with port 0 are skipped; other address
// checks are the caller's. Added lists IPv4 peers, then IPv6 ones.
func ParsePEX(payload []byte) (PEXMsg, error) {
	if len(payload) > maxPEX {
		return PEXMsg{}, fmt.Errorf("wire: ut_pex message %d bytes, limit %d: %w", len(payload), maxPEX, ErrTooLong)
	}
	if len(payload) == 0 || payload[0] != 'd' {
		return PEXMsg{}, fmt.Errorf("wire: ut_pex message is not a dict: %w", ErrMalformed)
	}
	var dict map[string]bencode.Bytes
	if err := bencode.Unmarshal(payload, &dict); err != nil {
		return PEXMsg{}, fmt.Errorf("wire: ut_pex message: %v: %w", err, ErrMalformed)
	}
	str := func(key string) (string, error) {
		raw, ok := dict[key]
		if !ok {
			return "", nil
		}
		s, err := bencodeString(raw)
		if err != nil {
			return "", fmt.Errorf("wire: ut_pex %s: %w", key, err)
		}
		return s, nil
	}
	var m PEXMsg
	for _, l := range []struct {
		key, flagKey string
		size         int
		dst          *[]netip.AddrPort
	}{
		{"added", "added.f", 6, &m.Added},
		{"added6", "added6.f", 18, &m.Added},
		{"dropped", "", 6, &m.Dropped},
		{"dropped6", "", 18, &m.Dropped},
	} {
		list, err := str(l.key)
		if err != nil {
			return PEXMsg{}, err
		}
		if len(list)%l.size != 0 {
			return PEXMsg{}, fmt.Errorf("wire: ut_pex %s of %d bytes is not whole %d-byte entries: %w", l.key, len(list), l.size, ErrMalformed)
		}
		n := len(list) / l.size
		if n > MaxPEXPeers {
			return PEXMsg{}, fmt.Errorf("wire: ut_pex %s has %d peers, limit %d: %w", l.key, n, MaxPEXPeers, ErrTooLong)
		}
		var flags string
		if l.flagKey != "" {
			if flags, err = str(l.flagKey); err != nil {
				return PEXMsg{}, err
			}
			if len(flags) != n {
				flags = ""
			}
		}
		for i := range n {
			ap := compactAddr(list[i*l.size : (i+1)*l.size])
			if ap.Port() == 0 {
				continue
			}
			*l.dst = append(*l.dst, ap)
			if l.flagKey != "" {
				var f byte
				if flags != "" {
					f = flags[i]
				}
				m.AddedFlags = append(m.AddedFlags, f)
			}
		}
	}
	return m, nil
}

// compactAddr decodes a 6- or 18-byte compact peer: address, then port,
// big-endian.
func compactAddr(b string) netip.AddrPort {
	n := len(b) - 2
	port := uint16(b[n])<<8 | uint16(b[n+1])
	if n == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte([]byte(b[:4]))), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte([]byte(b[:16]))), port)
}

// AppendPEX appends m as a ut_pex payload (without the extended message
// id) to dst, IPv4 peers in added/dropped and all others in added6/
// dropped6, every key present as libtorrent sends them. Invalid addresses
// and port 0 are skipped, as ParsePEX would; list lengths are the
// caller's to bound.
func AppendPEX(dst []byte, m PEXMsg) []byte {
	var added, addedF, added6, added6F, dropped, dropped6 []byte
	for i, ap := range m.Added {
		if !sendable(ap) {
			continue
		}
		var f byte
		if i < len(m.AddedFlags) {
			f = m.AddedFlags[i]
		}
		if ap.Addr().Is4() {
			added, addedF = appendCompact(added, ap), append(addedF, f)
		} else {
			added6, added6F = appendCompact(added6, ap), append(added6F, f)
		}
	}
	for _, ap := range m.Dropped {
		if !sendable(ap) {
			continue
		}
		if ap.Addr().Is4() {
			dropped = appendCompact(dropped, ap)
		} else {
			dropped6 = appendCompact(dropped6, ap)
		}
	}
	dst = append(dst, 'd')
	for _, kv := range []struct {
		key string
		val []byte
	}{ // in key order
		{"added", added}, {"added.f", addedF}, {"added6", added6}, {"added6.f", added6F},
		{"dropped", dropped}, {"dropped6", dropped6},
	} {
		dst = benc.AppendString(benc.AppendString(dst, kv.key), string(kv.val))
	}
	return append(dst, 'e')
}

func sendable(ap netip.AddrPort) bool {
	return ap.Addr().IsValid() && ap.Port() != 0
}

// appendCompact appends the compact form of ap: 6 bytes for IPv4, 18 for
// everything else.
func appendCompact(b []byte, ap netip.AddrPort) []byte {
	if a := ap.Addr(); a.Is4() {
		ip := a.As4()
		b = append(b, ip[:]...)
	} else {
		ip := a.As16()
		b = append(b, ip[:]...)
	}
	return append(b, byte(ap.Port()>>8), byte(ap.Port()))
}
