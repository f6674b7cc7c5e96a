package tracker

import (
	"fmt"
	"net/url"
	"strconv"
)

// Bounds on what the server accepts in a query.
const (
	maxQueryLen     = 8192
	maxScrapeHashes = 100
)

// httpAnnounce is a parsed announce query (server side).
type httpAnnounce struct {
	Req      AnnounceRequest
	Compact  bool   // compact=0 asks for the dict list
	NoPeerID bool   // no_peer_id=1 drops "peer id" from the dict list
	IP       string // the optional "ip" parameter, unverified
}

// parseHTTPAnnounceQuery reads a BEP 3 announce query. info_hash, peer_id
// and port are required; the counters default to zero except left, which
// defaults to "still downloading".
func parseHTTPAnnounceQuery(rawQuery string) (httpAnnounce, error) {
	a := httpAnnounce{Compact: true}
	if len(rawQuery) > maxQueryLen {
		return a, fmt.Errorf("%w: query of %d bytes", ErrBadRequest, len(rawQuery))
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return a, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := get20(q, "info_hash", &a.Req.InfoHash); err != nil {
		return a, err
	}
	if err := get20(q, "peer_id", &a.Req.PeerID); err != nil {
		return a, err
	}
	port, err := strconv.ParseUint(q.Get("port"), 10, 16)
	if err != nil || port == 0 {
		return a, fmt.Errorf("%w: port %q", ErrBadRequest, q.Get("port"))
	}
	a.Req.Port = uint16(port)
	for _, f := range []struct {
		name string
		dst  *int64
		def  int64
	}{
		{"uploaded", &a.Req.Uploaded, 0},
		{"downloaded", &a.Req.Downloaded, 0},
		{"left", &a.Req.Left, 1},
	} {
		*f.dst = f.def
		if s, ok := q[f.name]; ok && len(s) > 0 {
			v, err := strconv.ParseInt(s[0], 10, 64)
			if err != nil || v < 0 {
				return a, fmt.Errorf("%w: %s %q", ErrBadRequest, f.name, s[0])
			}
			*f.dst = v
		}
	}
	a.Req.Event = parseEvent(q.Get("event"))
	if s := q.Get("numwant"); s != "" {
		if v, err := strconv.ParseInt(s, 10, 32); err == nil && v > 0 {
			a.Req.NumWant = int(v)
		}
	}
	if s := q.Get("key"); s != "" {
		if v, err := strconv.ParseUint(s, 16, 32); err == nil {
			a.Req.Key = uint32(v)
		}
	}
	a.Compact = q.Get("compact") != "0"
	a.NoPeerID = q.Get("no_peer_id") == "1"
	a.IP = q.Get("ip")
	return a, nil
}

func get20(q url.Values, name string, dst *[20]byte) error {
	v := q.Get(name)
	if len(v) != 20 {
		return fmt.Errorf("%w: %s of %d bytes", ErrBadRequest, name, len(v))
	}
	copy(dst[:], v)
	return nil
}

// parseHTTPScrapeQuery returns the info hashes of a scrape query (at least
// one, at most maxScrapeHashes: no full scrapes).
func parseHTTPScrapeQuery(rawQuery string) ([][20]byte, error) {
	if len(rawQuery) > maxQueryLen {
		return nil, fmt.Errorf("%w: query of %d bytes", ErrBadRequest, len(rawQuery))
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	hs := q["info_hash"]
	if len(hs) == 0 || len(hs) > maxScrapeHashes {
		return nil, fmt.Errorf("%w: scrape of %d torrents", ErrBadRequest, len(hs))
	}
	out := make([][20]byte, len(hs))
	for i, h := range hs {
		if len(h) != 20 {
			return nil, fmt.Errorf("%w: info_hash of %d bytes", ErrBadRequest, len(h))
		}
		out[i] = [20]byte([]byte(h))
	}
	return out, nil
}
