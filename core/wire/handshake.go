package wire

import (
	"fmt"
	"io"
)

// HandshakeLen is the size of the BEP 3 handshake.
const HandshakeLen = 68

// Protocol is the BEP 3 protocol string that opens a handshake.
const Protocol = "BitTorrent protocol"

// Reserved-bit positions of the extensions Braid speaks.
const (
	extendedByte, extendedBit = 5, 0x10 // BEP 10
	fastByte, fastBit         = 7, 0x04 // BEP 6
	dhtByte, dhtBit           = 7, 0x01 // BEP 5
)

// Handshake is the first message each side sends.
type Handshake struct {
	Reserved [8]byte
	InfoHash [20]byte
	PeerID   [20]byte
}

// Append appends the 68-byte handshake to dst.
func (h *Handshake) Append(dst []byte) []byte {
	dst = append(dst, byte(len(Protocol)))
	dst = append(dst, Protocol...)
	dst = append(dst, h.Reserved[:]...)
	dst = append(dst, h.InfoHash[:]...)
	return append(dst, h.PeerID[:]...)
}

// ParseHandshake decodes exactly HandshakeLen bytes.
func ParseHandshake(b []byte) (Handshake, error) {
	if len(b) != HandshakeLen {
		return Handshake{}, fmt.Errorf("wire: handshake %d bytes, want %d: %w", len(b), HandshakeLen, ErrMalformed)
	}
	if err := checkProtocol(b); err != nil {
		return Handshake{}, err
	}
	var h Handshake
	copy(h.Reserved[:], b[20:28])
	copy(h.InfoHash[:], b[28:48])
	copy(h.PeerID[:], b[48:68])
	return h, nil
}

func checkProtocol(b []byte) error {
	if b[0] != byte(len(Protocol)) {
		return fmt.Errorf("wire: handshake pstrlen %d, want %d: %w", b[0], len(Protocol), ErrMalformed)
	}
	if string(b[1:20]) != Protocol {
		return fmt.Errorf("wire: handshake protocol %q: %w", b[1:20], ErrMalformed)
	}
	return nil
}

// ReadHandshake reads and decodes one handshake from r.
func ReadHandshake(r io.Reader) (Handshake, error) {
	var b [HandshakeLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Handshake{}, fmt.Errorf("wire: read handshake: %w", err)
	}
	return ParseHandshake(b[:])
}

// SetExtended advertises BEP 10 extension messages.
func (h *Handshake) SetExtended() { h.Reserved[extendedByte] |= extendedBit }

// SetFast advertises the BEP 6 fast extension.
func (h *Handshake) SetFast() { h.Reserved[fastByte] |= fastBit }

// SetDHT advertises a BEP 5 DHT node (and so the port message).
func (h *Handshake) SetDHT() { h.Reserved[dhtByte] |= dhtBit }

// SupportsExtended reports the BEP 10 bit.
func (h *Handshake) SupportsExtended() bool { return h.Reserved[extendedByte]&extendedBit != 0 }

// SupportsFast reports the BEP 6 bit.
func (h *Handshake) SupportsFast() bool { return h.Reserved[fastByte]&fastBit != 0 }

// SupportsDHT reports the BEP 5 bit.
func (h *Handshake) SupportsDHT() bool { return h.Reserved[dhtByte]&dhtBit != 0 }
