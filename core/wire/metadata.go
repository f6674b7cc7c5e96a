package wire

import (
	"errors"
	"fmt"

	"github.com/anacrolix/torrent/bencode"

	"github.com/braid-bt/braid/core/benc"
)

// MetadataPieceSize is the BEP 9 piece size: the info dictionary travels
// in pieces of this many bytes, the last one shorter.
const MetadataPieceSize = 16384

// maxMetadataPieces is the piece count of the largest accepted info dict.
const maxMetadataPieces = (MaxMetadataSize + MetadataPieceSize - 1) / MetadataPieceSize

// maxMetadataHeader bounds the bencoded dict in front of a piece; real
// ones are about 50 bytes.
const maxMetadataHeader = 1024

// MetadataMsgType is the msg_type of a ut_metadata message.
type MetadataMsgType int

// The BEP 9 message types.
const (
	MetadataRequest MetadataMsgType = 0
	MetadataData    MetadataMsgType = 1
	MetadataReject  MetadataMsgType = 2
)

// String names the type for logs.
func (t MetadataMsgType) String() string {
	switch t {
	case MetadataRequest:
		return "request"
	case MetadataData:
		return "data"
	case MetadataReject:
		return "reject"
	}
	return fmt.Sprintf("unknown(%d)", int(t))
}

// MetadataMsg is one ut_metadata message (BEP 9). TotalSize and Data are
// set for data messages only.
type MetadataMsg struct {
	Type      MetadataMsgType
	Piece     int
	TotalSize int    // size of the whole info dict
	Data      []byte // the piece; aliases the parsed payload
}

// ParseMetadataMsg decodes a ut_metadata payload (the bytes after the
// extended message id): a bencoded dict, followed by the raw piece in data
// messages. The piece index must lie within MaxMetadataSize, a data
// message's total_size in 1..MaxMetadataSize, and its piece must be
// exactly as long as that size implies (MetadataPieceSize, the last piece
// less). Extra dict keys are ignored. Unknown msg_type values in 3..255
// return the message (Type set) with ErrUnknownMessage, which BEP 9 says
// to ignore; other problems are ErrMalformed or ErrTooLong.
func ParseMetadataMsg(payload []byte) (MetadataMsg, error) {
	if len(payload) > maxMetadataHeader+MetadataPieceSize {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message %d bytes, limit %d: %w", len(payload), maxMetadataHeader+MetadataPieceSize, ErrTooLong)
	}
	if len(payload) == 0 || payload[0] != 'd' {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message is not a dict: %w", ErrMalformed)
	}
	var dict map[string]bencode.Bytes
	var rest []byte
	err := bencode.Unmarshal(payload, &dict)
	var trailing bencode.ErrUnusedTrailingBytes
	switch {
	case errors.As(err, &trailing):
		rest = payload[len(payload)-trailing.NumUnusedBytes:]
	case err != nil:
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message: %v: %w", err, ErrMalformed)
	}
	field := func(key string, min, max int64) (int, bool, error) {
		raw, ok := dict[key]
		if !ok {
			return 0, false, nil
		}
		n, err := bencodeInt(raw)
		if err != nil {
			return 0, true, fmt.Errorf("wire: ut_metadata %s: %w", key, err)
		}
		if n < min || n > max {
			return 0, true, fmt.Errorf("wire: ut_metadata %s %d outside %d..%d: %w", key, n, min, max, ErrMalformed)
		}
		return int(n), true, nil
	}
	typ, ok, err := field("msg_type", 0, 255)
	if err != nil {
		return MetadataMsg{}, err
	}
	if !ok {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message without msg_type: %w", ErrMalformed)
	}
	m := MetadataMsg{Type: MetadataMsgType(typ)}
	if m.Type > MetadataReject {
		return m, fmt.Errorf("wire: ut_metadata msg_type %d: %w", typ, ErrUnknownMessage)
	}
	if m.Piece, ok, err = field("piece", 0, maxMetadataPieces-1); err != nil {
		return MetadataMsg{}, err
	}
	if !ok {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata %s without piece: %w", m.Type, ErrMalformed)
	}
	if m.Type != MetadataData {
		if len(rest) > 0 {
			return MetadataMsg{}, fmt.Errorf("wire: ut_metadata %s with %d trailing bytes: %w", m.Type, len(rest), ErrMalformed)
		}
		return m, nil
	}
	if m.TotalSize, ok, err = field("total_size", 1, MaxMetadataSize); err != nil {
		return MetadataMsg{}, err
	}
	if !ok {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata data without total_size: %w", ErrMalformed)
	}
	if len(rest) > MetadataPieceSize {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata piece of %d bytes, limit %d: %w", len(rest), MetadataPieceSize, ErrTooLong)
	}
	if want, ok := MetadataPieceLen(m.TotalSize, m.Piece); !ok || len(rest) != want {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata piece %d of %d bytes does not fit total_size %d: %w", m.Piece, len(rest), m.TotalSize, ErrMalformed)
	}
	m.Data = rest
	return m, nil
}

// MetadataPieceLen is the length of piece of an info dict of totalSize
// bytes; false if there is no such piece.
func MetadataPieceLen(totalSize, piece int) (int, bool) {
	if totalSize <= 0 || piece < 0 || piece >= (totalSize+MetadataPieceSize-1)/MetadataPieceSize {
		return 0, false
	}
	return min(MetadataPieceSize, totalSize-piece*MetadataPieceSize), true
}

// AppendMetadataMsg appends m's payload (without the extended message id)
// to dst: the canonical dict, then Data for data messages. total_size and
// Data are written for data messages only.
func AppendMetadataMsg(dst []byte, m MetadataMsg) []byte {
	dst = append(dst, 'd')
	dst = benc.AppendInt(benc.AppendString(dst, "msg_type"), int64(m.Type))
	dst = benc.AppendInt(benc.AppendString(dst, "piece"), int64(m.Piece))
	if m.Type == MetadataData {
		dst = benc.AppendInt(benc.AppendString(dst, "total_size"), int64(m.TotalSize))
		dst = append(dst, 'e')
		return append(dst, m.Data...)
	}
	return append(dst, 'e')
}
