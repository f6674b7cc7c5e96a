package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ExtNameHolepunch is BEP 55's extension name in an extension handshake's m.
const ExtNameHolepunch = "ut_holepunch"

// HolepunchType is the kind of a ut_holepunch message.
type HolepunchType uint8

// ut_holepunch message types (BEP 55).
const (
	// HolepunchRendezvous asks the receiver to introduce the sender to the
	// peer at Addr, which both are connected to.
	HolepunchRendezvous HolepunchType = 0
	// HolepunchConnect tells the receiver to connect (over uTP) to Addr,
	// which is told the same about it at the same moment.
	HolepunchConnect HolepunchType = 1
	// HolepunchError answers a rendezvous that cannot be served.
	HolepunchError HolepunchType = 2
)

func (t HolepunchType) String() string {
	switch t {
	case HolepunchRendezvous:
		return "rendezvous"
	case HolepunchConnect:
		return "connect"
	case HolepunchError:
		return "error"
	}
	return fmt.Sprintf("holepunch type %d", uint8(t))
}

// Error codes of a HolepunchError message.
const (
	HolepunchNoSuchPeer   uint32 = 1 // the target is not a peer the relay knows
	HolepunchNotConnected uint32 = 2 // the relay is not connected to it
	HolepunchNoSupport    uint32 = 3 // the target does not speak ut_holepunch
	HolepunchNoSelf       uint32 = 4 // the target is the sender itself
)

// HolepunchMsg is one ut_holepunch message.
type HolepunchMsg struct {
	Type HolepunchType
	Addr netip.AddrPort // IPv4 or IPv6; parsed IPv4-mapped addresses are IPv4
	Err  uint32         // HolepunchError's code; zero otherwise
}

// ParseHolepunch decodes a ut_holepunch payload: type, address type (0
// IPv4, 1 IPv6), address, port, then an error code, all big-endian, with
// nothing after. Only an error message must carry the code: libtorrent
// leaves it out of the others. A message whose type or address type is
// unknown, or whose length does not match, is ErrMalformed.
func ParseHolepunch(payload []byte) (HolepunchMsg, error) {
	if len(payload) < 2 {
		return HolepunchMsg{}, fmt.Errorf("wire: ut_holepunch message %d bytes: %w", len(payload), ErrMalformed)
	}
	m := HolepunchMsg{Type: HolepunchType(payload[0])}
	if m.Type > HolepunchError {
		return HolepunchMsg{}, fmt.Errorf("wire: ut_holepunch message type %d: %w", payload[0], ErrMalformed)
	}
	var ipLen int
	switch payload[1] {
	case 0:
		ipLen = 4
	case 1:
		ipLen = 16
	default:
		return HolepunchMsg{}, fmt.Errorf("wire: ut_holepunch address type %d: %w", payload[1], ErrMalformed)
	}
	short := 2 + ipLen + 2
	if len(payload) != short+4 && (len(payload) != short || m.Type == HolepunchError) {
		return HolepunchMsg{}, fmt.Errorf("wire: ut_holepunch %s message %d bytes, want %d: %w", m.Type, len(payload), short+4, ErrMalformed)
	}
	ip, _ := netip.AddrFromSlice(payload[2 : 2+ipLen])
	ip = ip.Unmap() // an IPv4-mapped IPv6 address is the IPv4 one
	port := binary.BigEndian.Uint16(payload[2+ipLen:])
	m.Addr = netip.AddrPortFrom(ip, port)
	if m.Type == HolepunchError {
		m.Err = binary.BigEndian.Uint32(payload[short:]) // other messages' code means nothing
	}
	return m, nil
}

// AppendHolepunch appends m's payload (without the extended message
// header). An IPv4-mapped IPv6 address is written as IPv4. As libtorrent
// does, only an error message carries the error code.
func AppendHolepunch(dst []byte, m HolepunchMsg) []byte {
	ip := m.Addr.Addr().Unmap()
	if ip.Is4() {
		dst = append(dst, byte(m.Type), 0)
	} else {
		dst = append(dst, byte(m.Type), 1)
	}
	dst = append(dst, ip.AsSlice()...)
	dst = binary.BigEndian.AppendUint16(dst, m.Addr.Port())
	if m.Type != HolepunchError {
		return dst
	}
	return binary.BigEndian.AppendUint32(dst, m.Err)
}
