package wire

import (
	"encoding/binary"
	"fmt"
)

// Extension names of BEP 21's upload_only message and BEP 54's
// lt_donthave, as they appear in an extension handshake's m.
const (
	ExtNameUploadOnly = "upload_only"
	ExtNameDontHave   = "lt_donthave"
)

// ParseUploadOnly decodes an upload_only extension message: one byte,
// non-zero when the sender became upload-only, zero when it wants pieces
// again (libtorrent's form).
func ParseUploadOnly(payload []byte) (bool, error) {
	if len(payload) != 1 {
		return false, fmt.Errorf("wire: upload_only message %d bytes, want 1: %w", len(payload), ErrMalformed)
	}
	return payload[0] != 0, nil
}

// AppendUploadOnly appends an upload_only payload (without the extended
// message header).
func AppendUploadOnly(dst []byte, uploadOnly bool) []byte {
	if uploadOnly {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// ParseDontHave decodes an lt_donthave payload: a 4-byte big-endian piece
// index the sender no longer has. The caller checks the index's range.
func ParseDontHave(payload []byte) (uint32, error) {
	if len(payload) != 4 {
		return 0, fmt.Errorf("wire: lt_donthave message %d bytes, want 4: %w", len(payload), ErrMalformed)
	}
	return binary.BigEndian.Uint32(payload), nil
}

// AppendDontHave appends an lt_donthave payload (without the extended
// message header).
func AppendDontHave(dst []byte, index uint32) []byte {
	return binary.BigEndian.AppendUint32(dst, index)
}
