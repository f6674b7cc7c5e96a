package wire

import "encoding/binary"

// AppendMessage appends m, length prefix included, to dst. It does not
// allocate when dst has room. A Piece takes its length from Block (Length is
// ignored); unknown types are written as Type followed by Payload, so every
// message ParseMessage returns encodes back to the same bytes.
func AppendMessage(dst []byte, m *Message) []byte {
	if m.KeepAlive {
		return binary.BigEndian.AppendUint32(dst, 0)
	}
	switch m.Type {
	case Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone:
		dst = binary.BigEndian.AppendUint32(dst, 1)
		return append(dst, byte(m.Type))
	case Have, Suggest, AllowedFast:
		dst = binary.BigEndian.AppendUint32(dst, 5)
		dst = append(dst, byte(m.Type))
		return binary.BigEndian.AppendUint32(dst, m.Index)
	case Request, Cancel, Reject:
		dst = binary.BigEndian.AppendUint32(dst, 13)
		dst = append(dst, byte(m.Type))
		dst = binary.BigEndian.AppendUint32(dst, m.Index)
		dst = binary.BigEndian.AppendUint32(dst, m.Begin)
		return binary.BigEndian.AppendUint32(dst, m.Length)
	case Piece:
		dst = AppendPieceHeader(dst, m.Index, m.Begin, len(m.Block))
		return append(dst, m.Block...)
	case Bitfield:
		dst = binary.BigEndian.AppendUint32(dst, uint32(1+len(m.Bitfield)))
		dst = append(dst, byte(m.Type))
		return append(dst, m.Bitfield...)
	case Port:
		dst = binary.BigEndian.AppendUint32(dst, 3)
		dst = append(dst, byte(m.Type))
		return binary.BigEndian.AppendUint16(dst, m.Port)
	case Extended:
		dst = binary.BigEndian.AppendUint32(dst, uint32(2+len(m.Payload)))
		dst = append(dst, byte(m.Type), m.ExtID)
		return append(dst, m.Payload...)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(1+len(m.Payload)))
	dst = append(dst, byte(m.Type))
	return append(dst, m.Payload...)
}

// PieceHeaderLen is the size of a piece message before its block: length
// prefix, type, index and begin.
const PieceHeaderLen = 13

// AppendPieceHeader appends the 13-byte header of a piece message carrying a
// block of blockLen bytes, so the engine can write the block straight from
// storage after it without copying it into the message.
func AppendPieceHeader(dst []byte, index, begin uint32, blockLen int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(9+blockLen))
	dst = append(dst, byte(Piece))
	dst = binary.BigEndian.AppendUint32(dst, index)
	return binary.BigEndian.AppendUint32(dst, begin)
}
