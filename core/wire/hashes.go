package wire

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// BitTorrent v2 (BEP 52) message ids: a request for Merkle tree hashes,
// the answer, and its refusal. ParseMessage returns them as it returns
// unknown types (Type and Payload set, ErrUnknownMessage), so sessions
// without v2 ignore them; a v2 session decodes Payload with ParseHashMsg.
const (
	HashRequest MsgType = 21
	Hashes      MsgType = 22
	HashReject  MsgType = 23
)

// Bounds of the BEP 52 hash messages.
const (
	// HashSize is the size of one SHA-256 tree node on the wire.
	HashSize = 32
	// HashMsgHeaderLen is the payload of a hash request or reject, and the
	// part of a hashes message before its hashes: pieces root, base layer,
	// index, length and proof layers.
	HashMsgHeaderLen = HashSize + 4*4
	// MaxHashRequestLength is the most base-layer hashes one message may
	// name. libtorrent 2.0 accepts up to 8192 (one 128 MiB piece's blocks)
	// and asks for whole pieces' blocks at once, so Braid accepts the same;
	// libtorrent asks for piece-layer hashes 512 at a time.
	MaxHashRequestLength = 8192
	// MaxHashLayer bounds the base layer and proof layers fields: no file
	// tree an int64 length can describe is taller than 50 layers.
	MaxHashLayer = 63
	// MaxHashesPayload is the largest hashes message payload: the header,
	// MaxHashRequestLength base hashes and one uncle per layer.
	MaxHashesPayload = HashMsgHeaderLen + (MaxHashRequestLength+MaxHashLayer+1)*HashSize
)

// HashMsg is one BEP 52 hash request (21), hashes (22) or hash reject (23)
// message. All three name the same range: Length hashes of layer
// BaseLayer (0 the leaves) of the tree whose root is Root, from Index on,
// with proof hashes for ProofLayers ancestor layers. A hashes message then
// carries Length base hashes followed by NumUncles() uncle hashes, lowest
// first.
type HashMsg struct {
	Type        MsgType
	Root        [HashSize]byte
	BaseLayer   uint32
	Index       uint32
	Length      uint32
	ProofLayers uint32
	// Hashes is the concatenated hashes of a hashes message (nil for the
	// others); ParseHashMsg returns it aliasing the payload.
	Hashes []byte
}

// NumUncles is how many proof hashes follow the base hashes in a hashes
// message answering m: the first log2(Length)-1 proof layers are implied
// by the base hashes themselves, each further layer adds one uncle. This
// is libtorrent's count too (a single-hash request needs ProofLayers+1).
// m.Length must be a power of two (ParseHashMsg checks it).
func (m *HashMsg) NumUncles() int {
	k := bits.TrailingZeros32(m.Length)
	return max(0, int(m.ProofLayers)-(k-1))
}

// NumHashes is the number of hashes a hashes message for m carries.
func (m *HashMsg) NumHashes() int { return int(m.Length) + m.NumUncles() }

// HashAt returns the i-th hash of a hashes message (0 <= i < NumHashes()).
func (m *HashMsg) HashAt(i int) [HashSize]byte {
	return [HashSize]byte(m.Hashes[i*HashSize:])
}

// ParseHashMsg decodes the payload (the bytes after the type byte) of a
// hash request, hashes or hash reject message. Length must be a power of
// two of at most MaxHashRequestLength, the layer fields at most
// MaxHashLayer, a request or reject exactly HashMsgHeaderLen bytes, and a
// hashes message exactly as long as its header and the hashes it implies
// (NumHashes). Whether the range exists in a file tree is for the caller
// that knows the tree (core/v2hashes). Errors wrap ErrMalformed.
func ParseHashMsg(t MsgType, payload []byte) (HashMsg, error) {
	if t != HashRequest && t != Hashes && t != HashReject {
		return HashMsg{}, fmt.Errorf("wire: %s is not a hash message: %w", t, ErrMalformed)
	}
	if len(payload) < HashMsgHeaderLen {
		return HashMsg{}, fmt.Errorf("wire: %s payload %d bytes, want at least %d: %w", t, len(payload), HashMsgHeaderLen, ErrMalformed)
	}
	m := HashMsg{Type: t, Root: [HashSize]byte(payload)}
	m.BaseLayer = binary.BigEndian.Uint32(payload[HashSize:])
	m.Index = binary.BigEndian.Uint32(payload[HashSize+4:])
	m.Length = binary.BigEndian.Uint32(payload[HashSize+8:])
	m.ProofLayers = binary.BigEndian.Uint32(payload[HashSize+12:])
	switch {
	case m.Length == 0 || m.Length&(m.Length-1) != 0 || m.Length > MaxHashRequestLength:
		return HashMsg{}, fmt.Errorf("wire: %s length %d: not a power of two up to %d: %w", t, m.Length, MaxHashRequestLength, ErrMalformed)
	case m.BaseLayer > MaxHashLayer || m.ProofLayers > MaxHashLayer:
		return HashMsg{}, fmt.Errorf("wire: %s base layer %d, proof layers %d: above %d: %w", t, m.BaseLayer, m.ProofLayers, MaxHashLayer, ErrMalformed)
	}
	rest := payload[HashMsgHeaderLen:]
	if t != Hashes {
		if len(rest) != 0 {
			return HashMsg{}, fmt.Errorf("wire: %s payload %d bytes, want %d: %w", t, len(payload), HashMsgHeaderLen, ErrMalformed)
		}
		return m, nil
	}
	if want := m.NumHashes() * HashSize; len(rest) != want {
		return HashMsg{}, fmt.Errorf("wire: hashes: %d bytes of hashes, want %d (%d base, %d proof): %w",
			len(rest), want, m.Length, m.NumUncles(), ErrMalformed)
	}
	m.Hashes = rest
	return m, nil
}

// AppendHashMsg appends m as a whole message, length prefix and type
// included. Hashes is written for a hashes message only; the caller
// makes it NumHashes()*HashSize bytes long (core/v2hashes does).
func AppendHashMsg(dst []byte, m *HashMsg) []byte {
	n := 1 + HashMsgHeaderLen
	if m.Type == Hashes {
		n += len(m.Hashes)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, byte(m.Type))
	dst = append(dst, m.Root[:]...)
	dst = binary.BigEndian.AppendUint32(dst, m.BaseLayer)
	dst = binary.BigEndian.AppendUint32(dst, m.Index)
	dst = binary.BigEndian.AppendUint32(dst, m.Length)
	dst = binary.BigEndian.AppendUint32(dst, m.ProofLayers)
	if m.Type == Hashes {
		dst = append(dst, m.Hashes...)
	}
	return dst
}

func init() {
	msgNames[HashRequest] = "hash_request"
	msgNames[Hashes] = "hashes"
	msgNames[HashReject] = "hash_reject"
}
