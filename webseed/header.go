package webseed

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseContentRange parses a single-range Content-Range header value,
// "bytes first-last/total" or "bytes first-last/*" (total -1). It refuses
// anything else, including unsatisfied ranges ("bytes */total"), negative
// numbers, last < first and last >= total.
func ParseContentRange(s string) (first, last, total int64, err error) {
	bad := func(why string) (int64, int64, int64, error) {
		return 0, 0, 0, fmt.Errorf("Content-Range %q: %s: %w", clip(s), why, ErrBadResponse)
	}
	switch {
	case s == "":
		return bad("missing")
	case len(s) > 200:
		return bad("too long")
	}
	unit, spec, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return bad("not a byte range")
	}
	rng, size, ok := strings.Cut(strings.TrimSpace(spec), "/")
	if !ok {
		return bad("no total")
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return bad("no range")
	}
	if first, ok = parseUint(a); !ok {
		return bad("bad first byte")
	}
	if last, ok = parseUint(b); !ok {
		return bad("bad last byte")
	}
	if last < first {
		return bad("last before first")
	}
	total = -1
	if size != "*" {
		if total, ok = parseUint(size); !ok {
			return bad("bad total")
		}
		if last >= total {
			return bad("range beyond total")
		}
	}
	return first, last, total, nil
}

// parseUint accepts only plain decimal digits (no sign, no spaces), as
// HTTP does, within int64.
func parseUint(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// ParseRetryAfter parses a Retry-After header value: delay seconds or an
// HTTP date (relative to now). The delay is clamped to 0..MaxBackoff; ok
// is false when the header is absent or unparsable.
func ParseRetryAfter(s string, now time.Time) (d time.Duration, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return 0, false
	}
	if strings.Trim(s, "0123456789") == "" {
		// Digits only: seconds. Too many to parse is still "a long time".
		secs, isNum := parseUint(s)
		if !isNum || secs > int64(MaxBackoff/time.Second) {
			return MaxBackoff, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	return min(max(d, 0), MaxBackoff), true
}
