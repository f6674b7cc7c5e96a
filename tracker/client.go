package tracker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Errors callers can test with errors.Is.
var (
	ErrUnsupportedScheme = errors.New("tracker: unsupported URL scheme")
	ErrFailure           = errors.New("tracker: failure reason")
	ErrMalformed         = errors.New("tracker: malformed reply")
	ErrResponseTooLarge  = errors.New("tracker: response too large")
	ErrTooManyRedirects  = errors.New("tracker: too many redirects")
	ErrTimeout           = errors.New("tracker: no reply")
	ErrNoScrape          = errors.New("tracker: scrape not supported")
)

// Limits on what a tracker may send us.
const (
	maxHTTPBody    = 2 << 20 // bytes of an HTTP reply
	maxRedirects   = 5
	maxMessageLen  = 512 // bytes kept of a failure or warning text
	defaultTimeout = 15 * time.Second
	maxIntervalSec = 1 << 31 // bounds interval values before they become Durations
)

// AnnounceRequest is one announce for one torrent.
type AnnounceRequest struct {
	InfoHash, PeerID           [20]byte
	Port                       uint16
	Uploaded, Downloaded, Left int64
	Event                      Event
	NumWant                    int // <= 0 lets the tracker choose
	Key                        uint32
}

// AnnounceResponse is what a tracker answered. Peers never holds port 0.
type AnnounceResponse struct {
	Interval, MinInterval time.Duration
	Peers                 []netip.AddrPort
	Seeders, Leechers     int
	Warning               string
}

// ScrapeResult is a tracker's counters for one torrent.
type ScrapeResult struct {
	Seeders, Completed, Leechers int
}

// Client announces to one tracker. Implementations are safe for
// concurrent use.
type Client interface {
	Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error)
}

// Scraper is implemented by the HTTP and UDP clients (HTTP only when the
// announce URL has the conventional "announce" path element).
type Scraper interface {
	Scrape(ctx context.Context, infoHashes [][20]byte) ([]ScrapeResult, error)
}

// ClientOptions tunes a Client.
type ClientOptions struct {
	// HTTPClient is used for http(s) trackers; its CheckRedirect is wrapped
	// to allow at most 5 redirects. Nil means a fresh default client.
	HTTPClient *http.Client
	// Timeout bounds one HTTP request, and the wait after each UDP send
	// (BEP 15's 15·2^n s, capped at Timeout; 4 sends per request).
	// Default 15 s.
	Timeout   time.Duration
	UserAgent string
	// DialUDP, when set, opens the socket of each UDP tracker transaction
	// to "host:port" (a SOCKS5 proxy's UDP association) instead of a
	// direct UDP socket; there is no direct fallback when it fails. Its
	// RemoteAddr should be the tracker's (a *net.UDPAddr tells the
	// family, for BEP 15's IPv6 replies). Native only.
	DialUDP func(ctx context.Context, addr string) (net.Conn, error)
}

func (o ClientOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return defaultTimeout
	}
	return o.Timeout
}

// NewClient makes a client for an announce URL: http://, https:// or udp://.
func NewClient(rawURL string, opts ClientOptions) (Client, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("tracker: announce URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return newHTTPClient(u, opts)
	case "udp":
		return newUDPClient(u, opts)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedScheme, u.Scheme)
}

// sanitize makes tracker-supplied text safe to log: valid UTF-8, no
// control characters, bounded length.
func sanitize(s string) string {
	if len(s) > maxMessageLen {
		s = s[:maxMessageLen]
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// seconds turns a tracker's interval field into a Duration, bounded so it
// cannot overflow or go negative.
func seconds(v int64) time.Duration {
	if v <= 0 {
		return 0
	}
	if v > maxIntervalSec {
		v = maxIntervalSec
	}
	return time.Duration(v) * time.Second
}

// count bounds a tracker's seeder/leecher counter to a sane int.
func count(v int64) int {
	if v < 0 {
		return 0
	}
	if v > 1<<31-1 {
		return 1<<31 - 1
	}
	return int(v)
}
