// Package blocklist reads IP blocklists and answers whether an address is
// on one. It reads the formats peer-to-peer clients share:
//
//   - P2P plaintext (PeerGuardian): "description:first-last" per line,
//     e.g. "Some range:1.2.3.0-1.2.3.255"; IPv6 ranges too
//     ("desc:2001:db8::-2001:db8::ffff"), the address taken as the
//     longest text after a colon that reads as one.
//   - eMule ipfilter.dat: "first - last , level , description", e.g.
//     "001.002.003.000 - 001.002.003.255 , 000 , Some range". As eMule and
//     qBittorrent read it, a level of 128 or more means the range is
//     allowed: such lines add nothing. The description may be left out.
//   - A bare range "first-last" or a single address.
//
// Each line is read on its own, so one file may mix them. Blank lines and
// lines starting with "#" or "//" are comments. IPv4 parts may carry
// leading zeros ("001.002.003.004", decimal, as eMule writes them). The
// input may be gzip-compressed (recognised by its magic bytes).
//
// Input is bounded: a line at most MaxLineLength bytes, at most MaxRanges
// ranges, at most MaxBytes bytes after decompression. By default the
// first malformed line is an error naming its number (a *LineError);
// Options.SkipMalformed skips such lines instead and counts them
// (List.Skipped). Exceeding a bound is always an error.
//
// Lookup merges overlapping and adjacent ranges and searches them by
// bisection; an IPv4-mapped IPv6 address is looked up as the IPv4 address
// it maps. The package does no I/O of its own: it reads what it is given.
package blocklist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Bounds on input.
const (
	// MaxLineLength is the longest line read, in bytes (its end of line
	// not counted).
	MaxLineLength = 4096
	// MaxRanges is the most ranges a list may hold (before merging).
	// Published lists hold a few hundred thousand.
	MaxRanges = 4 << 20
	// MaxBytes is the most input read, after decompression.
	MaxBytes = 256 << 20
	// allowedLevel: an ipfilter.dat line of this level or more allows its
	// range rather than blocking it.
	allowedLevel = 128
)

// Errors of Parse; a *LineError wraps ErrMalformed.
var (
	ErrMalformed = errors.New("malformed blocklist")
	ErrTooLarge  = errors.New("blocklist too large")
)

// LineError is a malformed line.
type LineError struct {
	Line int // from 1
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("blocklist line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *LineError) Unwrap() error { return ErrMalformed }

// Options tune Parse.
type Options struct {
	// SkipMalformed skips malformed lines (published lists carry the odd
	// junk line) and counts them in List.Skipped, instead of failing on
	// the first. Lines longer than MaxLineLength count as malformed.
	SkipMalformed bool
}

type range4 struct{ lo, hi uint32 }

type u128 struct{ hi, lo uint64 }

type range6 struct{ lo, hi u128 }

// List is a parsed blocklist, safe for concurrent lookups. The nil List
// blocks nothing.
type List struct {
	v4      []range4
	v6      []range6
	skipped int
}

// Parse reads a blocklist from r (plain text or gzip).
func Parse(r io.Reader, opts Options) (*List, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxBytes+1))
	gz := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrMalformed, err)
		}
		br, gz = bufio.NewReader(io.LimitReader(zr, MaxBytes+1)), true
	}
	l := &List{}
	p := parser{r: br, opts: opts, list: l, gzip: gz}
	if err := p.run(); err != nil {
		return nil, err
	}
	l.v4 = merge4(l.v4)
	l.v6 = merge6(l.v6)
	return l, nil
}

type parser struct {
	r     *bufio.Reader
	opts  Options
	list  *List
	line  int
	read  int64
	count int
	buf   []byte
	gzip  bool // errors reading are errors of the compressed data
}

func (p *parser) run() error {
	for {
		line, tooLong, err := p.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if tooLong {
			if err := p.bad(fmt.Sprintf("longer than %d bytes", MaxLineLength)); err != nil {
				return err
			}
			continue
		}
		if msg := p.parseLine(line); msg != "" {
			if err := p.bad(msg); err != nil {
				return err
			}
		}
		if p.count > MaxRanges {
			return fmt.Errorf("%w: more than %d ranges", ErrTooLarge, MaxRanges)
		}
	}
}

// bad handles a malformed line: an error, or a skip.
func (p *parser) bad(msg string) error {
	if !p.opts.SkipMalformed {
		return &LineError{Line: p.line, Msg: msg}
	}
	p.list.skipped++
	return nil
}

// next reads one line without its end of line; tooLong reports a line
// over MaxLineLength (whose bytes are discarded). io.EOF once all is read.
func (p *parser) next() (line []byte, tooLong bool, err error) {
	p.buf = p.buf[:0]
	for {
		chunk, err := p.r.ReadSlice('\n')
		p.read += int64(len(chunk))
		if p.read > MaxBytes {
			return nil, false, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBytes)
		}
		if !tooLong {
			if len(p.buf)+len(chunk) > MaxLineLength+2 { // room for "\r\n"
				tooLong, p.buf = true, p.buf[:0]
			} else {
				p.buf = append(p.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			p.line++
			return trimEOL(p.buf), tooLong || len(trimEOL(p.buf)) > MaxLineLength, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(p.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			p.line++
			return trimEOL(p.buf), tooLong || len(trimEOL(p.buf)) > MaxLineLength, nil
		default:
			if p.gzip {
				return nil, false, fmt.Errorf("%w: gzip: %w", ErrMalformed, err)
			}
			return nil, false, fmt.Errorf("read blocklist: %w", err)
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// parseLine adds the range of one line; a message when it is malformed.
func (p *parser) parseLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" || s[0] == '#' || strings.HasPrefix(s, "//") {
		return ""
	}
	// ipfilter.dat: "first - last , level , description".
	if head, rest, ok := strings.Cut(s, ","); ok {
		if lo, hi, ok := parseRange(head); ok {
			levelText, _, _ := strings.Cut(rest, ",")
			level, ok := parseLevel(strings.TrimSpace(levelText))
			if !ok {
				return fmt.Sprintf("access level %q is not a number from 0 to 255", clip(levelText))
			}
			if level >= allowedLevel {
				return "" // allowed, not blocked
			}
			return p.add(lo, hi)
		}
	}
	// A bare range or address.
	if lo, hi, ok := parseRange(s); ok {
		return p.add(lo, hi)
	}
	// P2P: "description:first-last".
	dash := strings.LastIndexByte(s, '-')
	if dash < 0 {
		return "want description:first-last or first - last , level , description"
	}
	hi, ok := parseAddr(strings.TrimSpace(s[dash+1:]))
	if !ok {
		return fmt.Sprintf("%q is not an IP address", clip(strings.TrimSpace(s[dash+1:])))
	}
	// The first address: the longest text after a colon that reads as
	// one of the same family (an IPv4 one follows the last colon, unless
	// written IPv4-mapped).
	before := s[:dash]
	for i := 0; i < len(before); i++ {
		if before[i] == ':' {
			if lo, ok := parseAddr(strings.TrimSpace(before[i+1:])); ok && sameFamily(lo, hi) {
				return p.add(lo, hi)
			}
		}
	}
	return "want description:first-last or first - last , level , description"
}

// clip shortens text quoted in an error.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func parseLevel(s string) (int, bool) {
	if s == "" || len(s) > 8 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}

// parseRange reads "first-last" (spaces allowed around the dash) or a
// single address.
func parseRange(s string) (lo, hi netip.Addr, ok bool) {
	s = strings.TrimSpace(s)
	first, last, found := strings.Cut(s, "-")
	if !found {
		a, ok := parseAddr(s)
		return a, a, ok
	}
	if lo, ok = parseAddr(strings.TrimSpace(first)); !ok {
		return lo, hi, false
	}
	if hi, ok = parseAddr(strings.TrimSpace(last)); !ok {
		return lo, hi, false
	}
	return lo, hi, true
}

// parseAddr reads an IPv4 address (leading zeros allowed, decimal) or an
// IPv6 one (no zone).
func parseAddr(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	if !strings.Contains(s, ":") {
		return parseIPv4(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// sameFamily reports whether lo and hi can bound one range: both IPv4
// (or IPv4-mapped), or both IPv6.
func sameFamily(lo, hi netip.Addr) bool {
	if lo.Is4() || hi.Is4() {
		return lo.Unmap().Is4() && hi.Unmap().Is4()
	}
	return true
}

func parseIPv4(s string) (netip.Addr, bool) {
	var out [4]byte
	for i := range 4 {
		part := s
		if i < 3 {
			var ok bool
			part, s, ok = strings.Cut(s, ".")
			if !ok {
				return netip.Addr{}, false
			}
		}
		if part == "" || len(part) > 3 {
			return netip.Addr{}, false
		}
		n := 0
		for j := 0; j < len(part); j++ {
			c := part[j]
			if c < '0' || c > '9' {
				return netip.Addr{}, false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return netip.Addr{}, false
		}
		out[i] = byte(n)
	}
	return netip.AddrFrom4(out), true
}

// add records lo-hi; a message when it is no range.
func (p *parser) add(lo, hi netip.Addr) string {
	if !sameFamily(lo, hi) {
		return fmt.Sprintf("range %s-%s mixes IPv4 and IPv6", lo, hi)
	}
	if lo.Is4() || hi.Is4() || (lo.Is4In6() && hi.Is4In6()) {
		lo, hi = lo.Unmap(), hi.Unmap()
	}
	if hi.Less(lo) {
		return fmt.Sprintf("range %s-%s ends before it starts", lo, hi)
	}
	p.count++
	if lo.Is4() {
		p.list.v4 = append(p.list.v4, range4{v4(lo), v4(hi)})
		return ""
	}
	r := range6{v6(lo), v6(hi)}
	p.list.v6 = append(p.list.v6, r)
	// The part of an IPv6 range over ::ffff:0:0/96 (the IPv4-mapped
	// addresses) covers the IPv4 addresses they map, which are looked up
	// as IPv4.
	mapLo, mapHi := u128{0, 0xffff << 32}, u128{0, 0xffff<<32 | 0xffffffff}
	if !less(r.hi, mapLo) && !less(mapHi, r.lo) {
		a, b := maxU(r.lo, mapLo), minU(r.hi, mapHi)
		p.list.v4 = append(p.list.v4, range4{uint32(a.lo), uint32(b.lo)})
	}
	return ""
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func v6(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func less(a, b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func cmpU(a, b u128) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

func maxU(a, b u128) u128 {
	if less(a, b) {
		return b
	}
	return a
}

func minU(a, b u128) u128 {
	if less(a, b) {
		return a
	}
	return b
}

// next128 is a+1 and whether it did not overflow.
func next128(a u128) (u128, bool) {
	a.lo++
	if a.lo == 0 {
		a.hi++
		if a.hi == 0 {
			return a, false
		}
	}
	return a, true
}

// merge4 sorts ranges and joins those that overlap or touch.
func merge4(rs []range4) []range4 {
	slices.SortFunc(rs, func(a, b range4) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (out[n-1].hi == ^uint32(0) || r.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

func merge6(rs []range6) []range6 {
	slices.SortFunc(rs, func(a, b range6) int { return cmpU(a.lo, b.lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			next, ok := next128(out[n-1].hi)
			if !ok || !less(next, r.lo) {
				out[n-1].hi = maxU(out[n-1].hi, r.hi)
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// Contains reports whether a is in a blocked range. An IPv4-mapped IPv6
// address is looked up as IPv4; a zone is ignored.
func (l *List) Contains(a netip.Addr) bool {
	if l == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		x := v4(a)
		i, _ := slices.BinarySearchFunc(l.v4, x, func(r range4, x uint32) int {
			if r.lo > x {
				return 1
			}
			return -1
		})
		return i > 0 && l.v4[i-1].hi >= x
	}
	x := v6(a)
	i, _ := slices.BinarySearchFunc(l.v6, x, func(r range6, x u128) int {
		if less(x, r.lo) {
			return 1
		}
		return -1
	})
	return i > 0 && !less(l.v6[i-1].hi, x)
}

// Len is the number of ranges after merging (IPv4 and IPv6).
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.v4) + len(l.v6)
}

// Skipped is the number of malformed lines skipped (Options.SkipMalformed).
func (l *List) Skipped() int {
	if l == nil {
		return 0
	}
	return l.skipped
}
