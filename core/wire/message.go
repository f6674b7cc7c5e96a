// Package wire is Braid's peer-wire codec: BEP 3 framing and messages, the
// BEP 3 handshake, BEP 6 fast extension messages and allowed-fast sets, and
// the BEP 10 extension handshake. It is pure (no I/O besides an io.Reader
// handed in) so the same code runs natively and in the browser, and every
// length that comes off the wire is bounded before it is trusted.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrMalformed marks a message, handshake or extension handshake whose
	// shape is wrong; the peer is broken or hostile.
	ErrMalformed = errors.New("wire: malformed")
	// ErrTooLong marks a length prefix or payload above the configured limit.
	ErrTooLong = errors.New("wire: message too long")
	// ErrUnknownMessage marks a well-framed message of a type Braid does not
	// speak; the stream stays in sync, so callers may ignore it.
	ErrUnknownMessage = errors.New("wire: unknown message type")
)

// MsgType is the one-byte message id that follows the length prefix.
type MsgType uint8

// Message ids of BEP 3, BEP 5 (port), BEP 6 (fast) and BEP 10 (extended).
const (
	Choke         MsgType = 0
	Unchoke       MsgType = 1
	Interested    MsgType = 2
	NotInterested MsgType = 3
	Have          MsgType = 4
	Bitfield      MsgType = 5
	Request       MsgType = 6
	Piece         MsgType = 7
	Cancel        MsgType = 8
	Port          MsgType = 9
	Suggest       MsgType = 0x0d
	HaveAll       MsgType = 0x0e
	HaveNone      MsgType = 0x0f
	Reject        MsgType = 0x10
	AllowedFast   MsgType = 0x11
	Extended      MsgType = 20
)

// BlockSize is the request size every client expects (16 KiB).
const BlockSize = 16384

// MaxRequestLength is the largest request Length peers are expected to
// honour (BEP 3 and common practice: 128 KiB). ParseMessage does not enforce
// it: the session decides whether to reject or drop a peer asking for more.
const MaxRequestLength = 128 << 10

var msgNames = map[MsgType]string{
	Choke: "choke", Unchoke: "unchoke", Interested: "interested",
	NotInterested: "not_interested", Have: "have", Bitfield: "bitfield",
	Request: "request", Piece: "piece", Cancel: "cancel", Port: "port",
	Suggest: "suggest", HaveAll: "have_all", HaveNone: "have_none",
	Reject: "reject", AllowedFast: "allowed_fast", Extended: "extended",
}

// String names the type for logs.
func (t MsgType) String() string {
	if s, ok := msgNames[t]; ok {
		return s
	}
	return fmt.Sprintf("unknown(%d)", uint8(t))
}

// Message is one decoded peer-wire message. Which fields carry meaning
// depends on Type:
//
//	Have, Suggest, AllowedFast     Index
//	Request, Cancel, Reject        Index, Begin, Length
//	Piece                          Index, Begin, Block (Length = len(Block) after parsing)
//	Bitfield                       Bitfield
//	Port                           Port
//	Extended                       ExtID, Payload
//	unknown types                  Payload (the body after the type byte)
//
// KeepAlive set means the zero-length keep-alive; Type is then meaningless.
// Slices returned by ParseMessage alias the parsed buffer.
type Message struct {
	KeepAlive bool
	Type      MsgType
	Index     uint32
	Begin     uint32
	Length    uint32
	Block     []byte
	Bitfield  []byte
	Port      uint16
	ExtID     uint8
	Payload   []byte
}

// ParseMessage decodes body, the bytes after the 4-byte length prefix. An
// empty body is a keep-alive. Fixed-size messages must have their exact
// length. Block, Bitfield and Payload alias body. Unknown types return the
// message (Type and Payload set) with ErrUnknownMessage.
func ParseMessage(body []byte) (Message, error) {
	if len(body) == 0 {
		return Message{KeepAlive: true}, nil
	}
	t := MsgType(body[0])
	m := Message{Type: t}
	switch t {
	case Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone:
		if err := wantLen(t, body, 1); err != nil {
			return Message{}, err
		}
	case Have, Suggest, AllowedFast:
		if err := wantLen(t, body, 5); err != nil {
			return Message{}, err
		}
		m.Index = binary.BigEndian.Uint32(body[1:])
	case Request, Cancel, Reject:
		if err := wantLen(t, body, 13); err != nil {
			return Message{}, err
		}
		m.Index = binary.BigEndian.Uint32(body[1:])
		m.Begin = binary.BigEndian.Uint32(body[5:])
		m.Length = binary.BigEndian.Uint32(body[9:])
	case Piece:
		if len(body) < 9 {
			return Message{}, fmt.Errorf("wire: %s body %d bytes, want at least 9: %w", t, len(body), ErrMalformed)
		}
		m.Index = binary.BigEndian.Uint32(body[1:])
		m.Begin = binary.BigEndian.Uint32(body[5:])
		m.Block = body[9:]
		m.Length = uint32(len(m.Block))
	case Bitfield:
		m.Bitfield = body[1:]
	case Port:
		if err := wantLen(t, body, 3); err != nil {
			return Message{}, err
		}
		m.Port = binary.BigEndian.Uint16(body[1:])
	case Extended:
		if len(body) < 2 {
			return Message{}, fmt.Errorf("wire: %s body %d bytes, want at least 2: %w", t, len(body), ErrMalformed)
		}
		m.ExtID = body[1]
		m.Payload = body[2:]
	default:
		m.Payload = body[1:]
		return m, fmt.Errorf("wire: type %d, %d bytes: %w", uint8(t), len(body), ErrUnknownMessage)
	}
	return m, nil
}

func wantLen(t MsgType, body []byte, n int) error {
	if len(body) != n {
		return fmt.Errorf("wire: %s body %d bytes, want %d: %w", t, len(body), n, ErrMalformed)
	}
	return nil
}
