package metainfo

import (
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
)

// unescape percent-decodes a magnet query component; plus turns '+' into a
// space (form encoding, used for dn). URLs keep a literal '+': a space
// could not be in them anyway.
func unescape(s string, plus bool) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errors.New("bad percent escape")
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// escape percent-encodes everything but unreserved characters and the
// ':', '/' and '@' that keep URLs readable.
func escape(b *strings.Builder, s string) {
	const digits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
}

// String returns the canonical magnet URI: hex btih, then dn, tr, ws, x.pe
// and so, each value percent-encoded. ParseMagnet reads it back to an
// equal Magnet when m came from ParseMagnet.
func (m *Magnet) String() string {
	var b strings.Builder
	b.WriteString("magnet:?")
	if m.HasV1() {
		b.WriteString("xt=urn:btih:")
		b.WriteString(hex.EncodeToString(m.InfoHash[:]))
		if m.HasV2() {
			b.WriteString("&")
		}
	}
	if m.HasV2() {
		b.WriteString("xt=urn:btmh:" + btmhSHA256)
		b.WriteString(hex.EncodeToString(m.InfoHashV2[:]))
	}
	if m.Name != "" {
		b.WriteString("&dn=")
		escape(&b, m.Name)
	}
	for _, list := range []struct {
		key   string
		items []string
	}{{"tr", m.Trackers}, {"ws", m.WebSeeds}, {"x.pe", m.Peers}} {
		for _, v := range list.items {
			b.WriteString("&" + list.key + "=")
			escape(&b, v)
		}
	}
	if so := formatSelect(m.SelectOnly); so != "" {
		b.WriteString("&so=")
		b.WriteString(so)
	}
	return b.String()
}

// formatSelect writes indices as BEP 53 ranges ("0,2,4-6"), skipping any
// outside 0..MaxSelectIndex-1.
func formatSelect(indices []int) string {
	var spans []span
	for _, i := range indices {
		if i >= 0 && i < MaxSelectIndex {
			spans = append(spans, span{i, i})
		}
	}
	var b []byte
	for _, s := range mergeSpans(spans) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(s.lo), 10)
		if s.hi > s.lo {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(s.hi), 10)
		}
	}
	return string(b)
}
