package wsproto

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// ID is a 20-byte info hash, peer id or offer id. On the wire it is a JSON
// string of 20 characters, one per byte (byte b <-> rune b), the way
// WebTorrent turns binary into a JavaScript string.
type ID [20]byte

// String renders the id the way it travels, as a Go string of runes.
func (id ID) String() string { return string(id.runes()) }

func (id ID) runes() []rune {
	r := make([]rune, len(id))
	for i, b := range id {
		r[i] = rune(b)
	}
	return r
}

// MarshalJSON writes the id as a 20-character JSON string.
func (id ID) MarshalJSON() ([]byte, error) {
	return json.Marshal(id.String())
}

// UnmarshalJSON accepts a string of exactly 20 characters, each at most
// U+00FF.
func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("wsproto: id is not a string: %w", ErrInvalid)
	}
	return id.UnmarshalText([]byte(s))
}

// MarshalText lets an ID key a JSON object (scrape "files").
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the UTF-8 form of the 20-character string.
func (id *ID) UnmarshalText(s []byte) error {
	if n := utf8.RuneCount(s); n != len(id) {
		return fmt.Errorf("wsproto: id has %d characters, want %d: %w", n, len(id), ErrInvalid)
	}
	var out ID
	i := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r > 0xff { // also catches utf8.RuneError
			return fmt.Errorf("wsproto: id character %U is not a byte: %w", r, ErrInvalid)
		}
		out[i] = byte(r)
		i++
		s = s[size:]
	}
	*id = out
	return nil
}

// IsZero reports whether the id is all zero bytes, which Braid treats as
// absent.
func (id ID) IsZero() bool { return id == ID{} }
