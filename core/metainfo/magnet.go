package metainfo

import (
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrMalformedMagnet: a magnet link Braid cannot use. Every error from
// ParseMagnet wraps it; a link whose only exact topics use hash functions
// Braid does not know also wraps ErrUnsupported.
var ErrMalformedMagnet = errors.New("malformed magnet link")

// Limits on hostile magnet links, far above what real ones use.
const (
	MaxMagnetLen   = 64 << 10 // bytes of the whole URI
	MaxMagnetItems = 100      // trackers, peers and web seeds, each
	MaxSelectIndex = 100_000  // so= file indices are below this
)

// Magnet is a parsed magnet link (BEP 9, with BEP 53 select-only).
type Magnet struct {
	// InfoHash is the v1 info hash (btih); zero when the link names only
	// a v2 one.
	InfoHash [20]byte
	// InfoHashV2 is the v2 info hash (btmh, BEP 52: SHA-256 multihash);
	// zero when the link names none.
	InfoHashV2 [32]byte
	// Name is the display name (dn) until the info dictionary arrives,
	// with control characters removed and invalid UTF-8 replaced.
	Name string
	// Trackers are the tr URLs (http, https, udp, ws, wss) in link order,
	// deduplicated.
	Trackers []string
	// Peers are the x.pe addresses as "host:port" (or ws:// peer URLs), IP literals in canonical
	// form ("1.2.3.4:6881", "[2001:db8::1]:6881"), host names lower-cased.
	Peers []string
	// WebSeeds are the ws URLs (http, https), BEP 19.
	WebSeeds []string
	// SelectOnly lists the file indices to download (BEP 53 so=), sorted
	// and deduplicated; nil means every file.
	SelectOnly []int
}

func magnetErr(format string, args ...any) error {
	return fmt.Errorf("metainfo: magnet: "+format+": %w", append(args, ErrMalformedMagnet)...)
}

// btmhSHA256 is the multihash prefix of a SHA-256 digest (function 0x12,
// 32 bytes), the only one BEP 52 uses.
const btmhSHA256 = "1220"

// HasV1 tells whether the link names a v1 info hash: it does unless it
// names only a v2 one.
func (m *Magnet) HasV1() bool { return m.InfoHash != [20]byte{} || !m.HasV2() }

// HasV2 tells whether the link names a v2 info hash.
func (m *Magnet) HasV2() bool { return m.InfoHashV2 != [32]byte{} }

// ParseMagnet reads a magnet URI. The first btih exact topic (40 hex or 32
// base32 characters, any case) gives the v1 info hash, the first btmh one
// ("1220" and 64 hex characters: a SHA-256 multihash) the v2 info hash; a
// link needs at least one of them, and a btmh of another hash function is
// skipped. A malformed btih or btmh, so=
// list or percent escape in them is an error, while unusable tr, ws and
// x.pe entries are skipped, and entries beyond MaxMagnetItems are dropped:
// the link still names the torrent. Keys may carry a ".N" suffix (tr.1).
func ParseMagnet(uri string) (*Magnet, error) {
	if len(uri) > MaxMagnetLen {
		return nil, magnetErr("%d bytes, limit %d", len(uri), MaxMagnetLen)
	}
	uri = strings.TrimSpace(uri)
	const scheme = "magnet:"
	if len(uri) < len(scheme) || !strings.EqualFold(uri[:len(scheme)], scheme) {
		return nil, magnetErr("not a magnet URI")
	}
	query, _, _ := strings.Cut(uri[len(scheme):], "#")
	query, ok := strings.CutPrefix(query, "?")
	if !ok {
		return nil, magnetErr("no query after magnet:")
	}
	var (
		m                      Magnet
		haveHash, haveName     bool
		haveV2, otherV2        bool
		selects                []span
		seenTr, seenPe, seenWs = map[string]bool{}, map[string]bool{}, map[string]bool{}
	)
	for param := range strings.SplitSeq(query, "&") {
		if param == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(param, "=")
		key, err := unescape(rawKey, false)
		if err != nil {
			continue // a key no one could have meant
		}
		switch magnetKey(key) {
		case "xt":
			v, err := unescape(rawVal, false)
			if err != nil {
				return nil, magnetErr("xt %q: %v", clip(rawVal), err)
			}
			switch {
			case hasPrefixFold(v, "urn:btih:"):
				h, err := decodeBTIH(v[len("urn:btih:"):])
				if err != nil {
					return nil, magnetErr("xt %q: %v", clip(v), err)
				}
				if !haveHash {
					m.InfoHash, haveHash = h, true
				}
			case hasPrefixFold(v, "urn:btmh:"):
				h, ok, err := decodeBTMH(v[len("urn:btmh:"):])
				if err != nil {
					return nil, magnetErr("xt %q: %v", clip(v), err)
				}
				otherV2 = otherV2 || !ok
				if ok && !haveV2 {
					m.InfoHashV2, haveV2 = h, true
				}
			}
		case "dn":
			if v, err := unescape(rawVal, true); err == nil && !haveName {
				m.Name, haveName = cleanName(v), true
			}
		case "tr":
			if v, err := unescape(rawVal, false); err == nil && validURL(v, "http", "https", "udp", "ws", "wss") {
				m.Trackers = addItem(m.Trackers, seenTr, v)
			}
		case "ws":
			if v, err := unescape(rawVal, false); err == nil && validURL(v, "http", "https") {
				m.WebSeeds = addItem(m.WebSeeds, seenWs, v)
			}
		case "x.pe":
			if v, err := unescape(rawVal, false); err == nil {
				if p, ok := canonicalPeer(v); ok {
					m.Peers = addItem(m.Peers, seenPe, p)
				}
			}
		case "so":
			v, err := unescape(rawVal, false)
			if err == nil {
				selects, err = parseSelect(v, selects)
			}
			if err != nil {
				return nil, magnetErr("so %q: %v", clip(rawVal), err)
			}
		}
	}
	if !haveHash && !haveV2 {
		if otherV2 {
			return nil, fmt.Errorf("metainfo: magnet: btmh of an unknown hash function: %w: %w", ErrUnsupported, ErrMalformedMagnet)
		}
		return nil, magnetErr("no urn:btih or urn:btmh exact topic (xt)")
	}
	m.SelectOnly = expandSpans(selects)
	return &m, nil
}

// magnetKey lower-cases key and strips a numeric ".N" suffix.
func magnetKey(key string) string {
	key = strings.ToLower(key)
	if i := strings.LastIndexByte(key, '.'); i >= 0 && i+1 < len(key) && allDigits(key[i+1:]) {
		key = key[:i]
	}
	return key
}

func addItem(list []string, seen map[string]bool, v string) []string {
	if seen[v] || len(list) >= MaxMagnetItems {
		return list
	}
	seen[v] = true
	return append(list, v)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// decodeBTIH reads a v1 info hash: 40 hex or 32 base32 characters.
func decodeBTIH(s string) ([20]byte, error) {
	var h [20]byte
	switch len(s) {
	case 40:
		if _, err := hex.Decode(h[:], []byte(s)); err != nil {
			return h, errors.New("bad hex info hash")
		}
	case 32:
		up := []byte(s)
		for i, c := range up {
			if 'a' <= c && c <= 'z' {
				up[i] = c - 'a' + 'A'
			}
		}
		n, err := base32.StdEncoding.Decode(h[:], up)
		if err != nil || n != len(h) {
			return h, errors.New("bad base32 info hash")
		}
	default:
		return h, fmt.Errorf("info hash of %d characters, want 40 hex or 32 base32", len(s))
	}
	return h, nil
}

// decodeBTMH reads a v2 info hash multihash: "1220" and 64 hex
// characters. ok is false for a multihash of another function.
func decodeBTMH(s string) (h [32]byte, ok bool, err error) {
	if len(s) > 2*(4+255) || len(s)%2 != 0 {
		return h, false, fmt.Errorf("multihash of %d characters", len(s))
	}
	raw := make([]byte, len(s)/2)
	if _, err := hex.Decode(raw, []byte(s)); err != nil || len(raw) < 2 {
		return h, false, errors.New("bad hex multihash")
	}
	if raw[0] != 0x12 {
		return h, false, nil
	}
	if raw[1] != 32 || len(raw) != 2+32 {
		return h, false, fmt.Errorf("SHA-256 multihash of %d bytes, want 32", len(raw)-2)
	}
	copy(h[:], raw[2:])
	if h == [32]byte{} {
		return h, false, errors.New("all-zero info hash")
	}
	return h, true, nil
}

// cleanName drops control characters (they could drive a terminal) and
// replaces invalid UTF-8.
func cleanName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// validURL accepts scheme://host... with one of schemes and no spaces or
// control characters.
func validURL(s string, schemes ...string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !slices.ContainsFunc(schemes, func(want string) bool { return strings.EqualFold(scheme, want) }) {
		return false
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	return host != ""
}
