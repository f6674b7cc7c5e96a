package metainfo

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/anacrolix/torrent/bencode"
)

// entry is one key/value pair of a bencoded dict, the value kept raw.
type entry struct {
	key string
	val []byte
}

// dictEntries splits the bencoded dict raw into its pairs, in input order,
// each value's bytes exactly as they appear in raw (so the info dict can be
// hashed without re-encoding). Duplicate keys are refused: which copy a
// client honours would be ambiguous. Unsorted keys are accepted, as other
// clients do.
func dictEntries(what string, raw []byte) ([]entry, error) {
	if len(raw) == 0 || raw[0] != 'd' {
		return nil, fmt.Errorf("metainfo: %s is not a dictionary: %w", what, ErrMalformed)
	}
	// A dict is a list of alternating keys and values, so decoding it as a
	// list of raw values keeps order, duplicates and exact bytes.
	asList := make([]byte, len(raw))
	copy(asList, raw)
	asList[0] = 'l'
	var items []bencode.Bytes
	if err := bencode.Unmarshal(asList, &items); err != nil {
		return nil, fmt.Errorf("metainfo: %s: %w: %w", what, ErrMalformed, err)
	}
	if len(items)%2 != 0 {
		return nil, fmt.Errorf("metainfo: %s: key without value: %w", what, ErrMalformed)
	}
	out := make([]entry, 0, len(items)/2)
	seen := make(map[string]struct{}, len(items)/2)
	for i := 0; i < len(items); i += 2 {
		k, err := rawString(items[i])
		if err != nil {
			return nil, fmt.Errorf("metainfo: %s: dictionary key: %w", what, err)
		}
		if _, dup := seen[k]; dup {
			return nil, fmt.Errorf("metainfo: %s: duplicate key %q: %w", what, clip(k), ErrMalformed)
		}
		seen[k] = struct{}{}
		out = append(out, entry{key: k, val: items[i+1]})
	}
	return out, nil
}

// rawList returns the raw elements of a bencoded list.
func rawList(raw []byte) ([]bencode.Bytes, error) {
	if len(raw) == 0 || raw[0] != 'l' {
		return nil, fmt.Errorf("not a list: %w", ErrMalformed)
	}
	var items []bencode.Bytes
	if err := bencode.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return items, nil
}

// rawString decodes a bencoded string. raw is one whole value as split
// out by the decoder, so only its type and canonical form need checking;
// doing that here avoids a reflective decode per path component.
func rawString(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
		return "", fmt.Errorf("not a string: %w", ErrMalformed)
	}
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return "", fmt.Errorf("string without length: %w", ErrMalformed)
	}
	n, err := strconv.ParseUint(string(raw[:colon]), 10, 63)
	if err != nil || raw[0] == '0' && colon > 1 || n != uint64(len(raw)-colon-1) {
		return "", fmt.Errorf("bad string length %q: %w", clip(string(raw[:colon])), ErrMalformed)
	}
	return string(raw[colon+1:]), nil
}

// rawInt decodes a bencoded integer that fits in an int64, refusing the
// non-canonical forms BEP 3 forbids ("i-0e", "i03e").
func rawInt(raw []byte) (int64, error) {
	if len(raw) < 3 || raw[0] != 'i' || raw[len(raw)-1] != 'e' {
		return 0, fmt.Errorf("not an integer: %w", ErrMalformed)
	}
	digits := raw[1 : len(raw)-1]
	abs := digits
	if abs[0] == '-' {
		abs = abs[1:]
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || len(abs) == 0 || abs[0] < '0' || abs[0] > '9' ||
		abs[0] == '0' && len(digits) > 1 {
		return 0, fmt.Errorf("bad integer %q: %w", clip(string(digits)), ErrMalformed)
	}
	return n, nil
}

// clip shortens hostile strings before they go into error messages.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
