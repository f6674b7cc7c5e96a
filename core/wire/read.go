package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Limits bounds what ReadMessage accepts from a peer.
type Limits struct {
	// MaxMessage is the largest body (bytes after the length prefix)
	// accepted. Zero or negative means DefaultLimits(0).MaxMessage.
	MaxMessage int
}

// MaxExtendedMessage is the room left for BEP 10 extended messages (metadata
// pieces, PEX); far above what real clients send, far below harm.
const MaxExtendedMessage = 1 << 20

// maxBody is the largest body a 4-byte length prefix can announce.
// It is a variable so the clamp below compiles where int is 32 bits.
var maxBody uint64 = math.MaxUint32

// DefaultLimits sizes MaxMessage for a torrent of numPieces pieces: the
// largest of a 16 KiB piece message, the torrent's bitfield message and
// MaxExtendedMessage.
func DefaultLimits(numPieces int) Limits {
	n := max(BlockSize+13, MaxExtendedMessage)
	if numPieces > 0 {
		bf := numPieces / 8 // bitfield bytes, rounded up without overflow
		if numPieces%8 != 0 {
			bf++
		}
		n = max(n, bf+1)
	}
	if uint64(n) > maxBody {
		n = int(maxBody) // only reachable where int is 64 bits
	}
	return Limits{MaxMessage: n}
}

func (l Limits) max() int {
	if l.MaxMessage <= 0 {
		return DefaultLimits(0).MaxMessage
	}
	return l.MaxMessage
}

// ReadMessage reads one length-prefixed message from r. The length is checked
// against lim before any buffer is grown, so a hostile prefix costs nothing.
// buf is reused when its capacity suffices and grown otherwise; the returned
// slice is the body just read (pass it back in as buf next time) and the
// message aliases it, so it is valid only until the next call.
//
// A clean end of stream before a prefix returns io.EOF unwrapped; a stream cut
// inside a message returns an error wrapping io.ErrUnexpectedEOF. Errors
// wrapping ErrUnknownMessage or ErrMalformed leave the stream in sync (the
// whole message was consumed); the message is returned with
// ErrUnknownMessage so callers can skip it.
func ReadMessage(r io.Reader, buf []byte, lim Limits) (Message, []byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 4, 64)
	}
	buf = buf[:4]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			return Message{}, buf[:0], io.EOF
		}
		return Message{}, buf[:0], fmt.Errorf("wire: read length: %w", err)
	}
	n := uint64(binary.BigEndian.Uint32(buf))
	if n > uint64(lim.max()) {
		return Message{}, buf[:0], fmt.Errorf("wire: length %d above limit %d: %w", n, lim.max(), ErrTooLong)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, buf[:0], fmt.Errorf("wire: read %d-byte body: %w", n, err)
	}
	m, err := ParseMessage(buf)
	return m, buf, err
}
