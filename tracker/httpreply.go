package tracker

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/anacrolix/torrent/bencode"
)

const (
	// maxDictPeers bounds the peers taken from a non-compact reply.
	maxDictPeers = 10000
	// httpScrapeMax is the number of torrents one HTTP scrape asks for
	// (opentracker answers at most 64).
	httpScrapeMax = 64
	// maxScrapeFiles bounds the entries of a scrape reply's "files".
	maxScrapeFiles = 1000
)

// appendAnnounceQuery appends the BEP 3 announce parameters to an existing
// raw query (keeping what the announce URL already carries).
func appendAnnounceQuery(rawQuery string, req *AnnounceRequest, trackerID string) string {
	var b strings.Builder
	b.Grow(len(rawQuery) + 256)
	b.WriteString(rawQuery)
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
	}
	sep()
	b.WriteString("info_hash=")
	b.WriteString(escapeBytes(req.InfoHash[:]))
	b.WriteString("&peer_id=")
	b.WriteString(escapeBytes(req.PeerID[:]))
	fmt.Fprintf(&b, "&port=%d&uploaded=%d&downloaded=%d&left=%d&compact=1",
		req.Port, max(req.Uploaded, 0), max(req.Downloaded, 0), max(req.Left, 0))
	if req.Event != EventNone {
		b.WriteString("&event=")
		b.WriteString(req.Event.String())
	}
	if req.NumWant > 0 {
		fmt.Fprintf(&b, "&numwant=%d", req.NumWant)
	}
	fmt.Fprintf(&b, "&key=%08X", req.Key)
	if trackerID != "" {
		b.WriteString("&trackerid=")
		b.WriteString(url.QueryEscape(trackerID))
	}
	return b.String()
}

// escapeBytes percent-encodes every byte except RFC 3986 unreserved ones,
// the form trackers expect for raw 20-byte values.
func escapeBytes(p []byte) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(3 * len(p))
	for _, c := range p {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// httpReply is the bencoded announce reply. Peer fields stay raw because
// they come as a compact string or as a list of dicts.
type httpReply struct {
	FailureReason  *string       `bencode:"failure reason,ignore_unmarshal_type_error"`
	WarningMessage string        `bencode:"warning message,ignore_unmarshal_type_error"`
	Interval       int64         `bencode:"interval,ignore_unmarshal_type_error"`
	MinInterval    int64         `bencode:"min interval,ignore_unmarshal_type_error"`
	Complete       int64         `bencode:"complete,ignore_unmarshal_type_error"`
	Incomplete     int64         `bencode:"incomplete,ignore_unmarshal_type_error"`
	TrackerID      string        `bencode:"tracker id,ignore_unmarshal_type_error"`
	Peers          bencode.Bytes `bencode:"peers"`
	Peers6         bencode.Bytes `bencode:"peers6"`
}

type dictPeer struct {
	IP   string `bencode:"ip,ignore_unmarshal_type_error"`
	Port int64  `bencode:"port,ignore_unmarshal_type_error"`
}

// parseHTTPResponse decodes a bencoded announce reply. It returns the
// tracker id (BEP 3 "tracker id") beside the response.
func parseHTTPResponse(body []byte) (*AnnounceResponse, string, error) {
	var r httpReply
	if err := bencode.Unmarshal(body, &r); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if r.FailureReason != nil {
		return nil, "", fmt.Errorf("%w: %s", ErrFailure, sanitize(*r.FailureReason))
	}
	resp := &AnnounceResponse{
		Interval:    seconds(r.Interval),
		MinInterval: seconds(r.MinInterval),
		Seeders:     count(r.Complete),
		Leechers:    count(r.Incomplete),
		Warning:     sanitize(r.WarningMessage),
	}
	peers, err := parsePeersField(r.Peers, false)
	if err != nil {
		return nil, "", fmt.Errorf("peers: %w", err)
	}
	peers6, err := parsePeersField(r.Peers6, true)
	if err != nil {
		return nil, "", fmt.Errorf("peers6: %w", err)
	}
	resp.Peers = append(peers, peers6...)
	return resp, sanitize(r.TrackerID), nil
}

// parsePeersField decodes a raw "peers"/"peers6" value: a compact string or
// (BEP 3) a list of {ip, port} dicts. Unusable entries are skipped.
func parsePeersField(raw []byte, v6 bool) ([]netip.AddrPort, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	switch c := raw[0]; {
	case c >= '0' && c <= '9':
		var s []byte
		if err := bencode.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return parseCompactPeers(s, v6)
	case c == 'l':
		var list []bencode.Bytes
		if err := bencode.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		var peers []netip.AddrPort
		for _, item := range list {
			if len(peers) == maxDictPeers {
				break
			}
			var p dictPeer
			if len(item) == 0 || item[0] != 'd' || bencode.Unmarshal(item, &p) != nil {
				continue
			}
			ip, err := netip.ParseAddr(p.IP)
			if err != nil || ip.Zone() != "" || p.Port <= 0 || p.Port > 65535 {
				continue
			}
			peers = append(peers, netip.AddrPortFrom(ip.Unmap(), uint16(p.Port)))
		}
		return peers, nil
	}
	return nil, fmt.Errorf("%w: peers is neither a string nor a list", ErrMalformed)
}

// scrapeURL derives the scrape URL from an announce URL by the convention
// of BEP 48: the last path element must start with "announce".
func scrapeURL(announce *url.URL) (*url.URL, bool) {
	i := strings.LastIndexByte(announce.Path, '/')
	if i < 0 || !strings.HasPrefix(announce.Path[i+1:], "announce") {
		return nil, false
	}
	u := *announce
	u.Path = announce.Path[:i+1] + "scrape" + strings.TrimPrefix(announce.Path[i+1:], "announce")
	u.RawPath = ""
	return &u, true
}

type scrapeFile struct {
	Complete   int64 `bencode:"complete,ignore_unmarshal_type_error"`
	Downloaded int64 `bencode:"downloaded,ignore_unmarshal_type_error"`
	Incomplete int64 `bencode:"incomplete,ignore_unmarshal_type_error"`
}

type scrapeReply struct {
	FailureReason *string       `bencode:"failure reason,ignore_unmarshal_type_error"`
	Files         bencode.Bytes `bencode:"files"`
}

// parseHTTPScrape decodes a scrape reply (BEP 48) for the torrents asked
// for; torrents the tracker does not list come back as zero counters. A
// reply without "files", or with more than maxScrapeFiles entries, is
// malformed.
func parseHTTPScrape(body []byte, hashes [][20]byte) ([]ScrapeResult, error) {
	var r scrapeReply
	if err := bencode.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if r.FailureReason != nil {
		return nil, fmt.Errorf("%w: %s", ErrFailure, sanitize(*r.FailureReason))
	}
	if len(r.Files) == 0 || r.Files[0] != 'd' {
		return nil, fmt.Errorf("%w: scrape reply without a \"files\" dictionary", ErrMalformed)
	}
	var files map[string]bencode.Bytes
	if err := bencode.Unmarshal(r.Files, &files); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(files) > maxScrapeFiles {
		return nil, fmt.Errorf("%w: scrape reply of %d torrents", ErrMalformed, len(files))
	}
	out := make([]ScrapeResult, len(hashes))
	for i, h := range hashes {
		raw, ok := files[string(h[:])]
		if !ok {
			continue
		}
		var f scrapeFile
		if len(raw) == 0 || raw[0] != 'd' {
			return nil, fmt.Errorf("%w: scrape entry is not a dictionary", ErrMalformed)
		}
		if err := bencode.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%w: scrape entry: %w", ErrMalformed, err)
		}
		out[i] = ScrapeResult{Seeders: count(f.Complete), Completed: count(f.Downloaded), Leechers: count(f.Incomplete)}
	}
	return out, nil
}
