package wire

import (
	"fmt"
	"math"
	"sort"

	"github.com/anacrolix/torrent/bencode"

	"github.com/braid-bt/braid/core/benc"
)

// MaxExtHandshake bounds the BEP 10 handshake payload; real ones are a few
// hundred bytes.
const MaxExtHandshake = 64 << 10

// MaxMetadataSize bounds the advertised info-dictionary size (BEP 9).
const MaxMetadataSize = 64 << 20

// ExtHandshake is the BEP 10 extension handshake (extended message id 0).
type ExtHandshake struct {
	// M maps extension names to the ids the sender wants to receive them
	// on. Id 0 means the sender disabled that extension.
	M            map[string]int
	V            string // client name and version
	Port         int    // listen port, 0 if not given
	ReqQ         int    // outstanding requests the sender accepts, 0 if not given
	MetadataSize int    // BEP 9 info-dictionary size, 0 if not given
	YourIP       []byte // the receiver's address as the sender sees it: 4 or 16 bytes, or nil
	// UploadOnly is BEP 21's upload_only: the sender wants nothing more
	// (a seed, or a partial seed of a file selection).
	UploadOnly bool
}

// ParseExtHandshake decodes a BEP 10 handshake payload. Unknown keys are
// ignored, as are m entries whose id is not an integer in 0..255 and yourip
// values that are not 4 or 16 bytes long. Known keys of the wrong type, or
// out of range, are errors wrapping ErrMalformed. M is never nil.
func ParseExtHandshake(b []byte) (ExtHandshake, error) {
	if len(b) > MaxExtHandshake {
		return ExtHandshake{}, fmt.Errorf("wire: extension handshake %d bytes, limit %d: %w", len(b), MaxExtHandshake, ErrTooLong)
	}
	if len(b) == 0 || b[0] != 'd' {
		return ExtHandshake{}, fmt.Errorf("wire: extension handshake is not a dict: %w", ErrMalformed)
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(b, &top); err != nil {
		return ExtHandshake{}, fmt.Errorf("wire: extension handshake: %v: %w", err, ErrMalformed)
	}
	e := ExtHandshake{M: map[string]int{}}
	var err error
	if raw, ok := top["m"]; ok {
		if e.M, err = parseExtMap(raw); err != nil {
			return ExtHandshake{}, err
		}
	}
	if raw, ok := top["v"]; ok {
		if e.V, err = bencodeString(raw); err != nil {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake v: %w", err)
		}
	}
	ints := []struct {
		key      string
		dst      *int
		min, max int64
	}{
		{"p", &e.Port, 0, 65535},
		{"reqq", &e.ReqQ, 0, math.MaxInt32},
		{"metadata_size", &e.MetadataSize, 0, MaxMetadataSize},
	}
	for _, f := range ints {
		raw, ok := top[f.key]
		if !ok {
			continue
		}
		n, err := bencodeInt(raw)
		if err != nil {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake %s: %w", f.key, err)
		}
		if n < f.min || n > f.max {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake %s %d outside %d..%d: %w", f.key, n, f.min, f.max, ErrMalformed)
		}
		*f.dst = int(n)
	}
	if raw, ok := top["upload_only"]; ok {
		// Any integer counts (0 is false); clients differ in what they send.
		n, err := bencodeInt(raw)
		if err != nil {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake upload_only: %w", err)
		}
		e.UploadOnly = n != 0
	}
	if raw, ok := top["yourip"]; ok {
		ip, err := bencodeString(raw)
		if err != nil {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake yourip: %w", err)
		}
		if len(ip) == 4 || len(ip) == 16 {
			e.YourIP = []byte(ip)
		}
	}
	return e, nil
}

func parseExtMap(raw []byte) (map[string]int, error) {
	if len(raw) == 0 || raw[0] != 'd' {
		return nil, fmt.Errorf("wire: extension handshake m is not a dict: %w", ErrMalformed)
	}
	var entries map[string]bencode.Bytes
	if err := bencode.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("wire: extension handshake m: %v: %w", err, ErrMalformed)
	}
	m := make(map[string]int, len(entries))
	for name, v := range entries {
		id, err := bencodeInt(v)
		if err != nil || id < 0 || id > 255 {
			continue // an unusable id only disables that one extension
		}
		m[name] = int(id)
	}
	return m, nil
}

func bencodeInt(raw []byte) (int64, error) {
	if len(raw) == 0 || raw[0] != 'i' {
		return 0, fmt.Errorf("not an integer: %w", ErrMalformed)
	}
	var n int64
	if err := bencode.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("%v: %w", err, ErrMalformed)
	}
	return n, nil
}

func bencodeString(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
		return "", fmt.Errorf("not a string: %w", ErrMalformed)
	}
	var s string
	if err := bencode.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%v: %w", err, ErrMalformed)
	}
	return s, nil
}

// Encode returns the handshake as a bencoded dict with sorted keys. m is
// always present; other keys only when set (non-zero, non-empty).
func (e *ExtHandshake) Encode() []byte {
	b := []byte{'d'}
	b = benc.AppendString(b, "m")
	b = append(b, 'd')
	names := make([]string, 0, len(e.M))
	for name := range e.M {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b = benc.AppendString(b, name)
		b = benc.AppendInt(b, int64(e.M[name]))
	}
	b = append(b, 'e')
	// Keys in byte order: m, metadata_size, p, reqq, upload_only, v, yourip.
	if e.MetadataSize > 0 {
		b = benc.AppendInt(benc.AppendString(b, "metadata_size"), int64(e.MetadataSize))
	}
	if e.Port > 0 {
		b = benc.AppendInt(benc.AppendString(b, "p"), int64(e.Port))
	}
	if e.ReqQ > 0 {
		b = benc.AppendInt(benc.AppendString(b, "reqq"), int64(e.ReqQ))
	}
	if e.UploadOnly {
		b = benc.AppendInt(benc.AppendString(b, "upload_only"), 1)
	}
	if e.V != "" {
		b = benc.AppendString(benc.AppendString(b, "v"), e.V)
	}
	if len(e.YourIP) > 0 {
		b = benc.AppendString(benc.AppendString(b, "yourip"), string(e.YourIP))
	}
	return append(b, 'e')
}
