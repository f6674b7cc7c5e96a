// Package webseed fetches pieces from plain HTTP servers that hold a
// torrent's files (BEP 19, GetRight-style "url-list" web seeds), so a
// download can draw on web servers alongside peers.
//
// A Client does not verify what it fetches: the engine hashes each piece
// and calls ReportBadPiece when the hash is wrong. Everything a server
// sends is hostile: statuses, Content-Range, body lengths and redirects are
// bounded and checked, and a misbehaving server is backed off from or
// disabled. A server that ignores Range and sends whole files is read
// from as it is (see body.go); one that lies about a file's length is
// disabled.
//
// The engine's part: make one Client per url-list entry; fetch only pieces
// no peer is serving, and only while Usable(now) (RetryAt says when to look
// again); hash every piece FetchPiece returns, and call ReportBadPiece when
// the hash is wrong; drop the Client once Disabled.
package webseed

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
)

// Name labels web seeds among a torrent's peers in stats.
const Name = "webseed"

// Sentinel errors; errors from this package wrap at most one of them.
var (
	// ErrUnsupportedScheme: the web seed URL is not http:// or https://.
	ErrUnsupportedScheme = errors.New("unsupported web seed URL scheme")
	// ErrBadURL: the web seed URL cannot be used (unparsable, no host).
	ErrBadURL = errors.New("bad web seed URL")
	// ErrBadInfo: the Info cannot be fetched piecewise (no pieces, files
	// not laid out back to back).
	ErrBadInfo = errors.New("unusable torrent info")
	// ErrInvalidPiece: the piece index is out of range.
	ErrInvalidPiece = errors.New("invalid piece index")
	// ErrDisabled: the server lacks the files (404/410), lies about their
	// length or sent too many bad pieces; the Client will not be used again.
	ErrDisabled = errors.New("web seed disabled")
	// ErrBackingOff: the Client is waiting after failures; see RetryAt.
	ErrBackingOff = errors.New("web seed backing off")
	// ErrNotFound: the server answered 404 or 410 for a file.
	ErrNotFound = errors.New("web seed does not have the file")
	// ErrBadStatus: the server answered with a status other than 200/206
	// (and other than 404/410).
	ErrBadStatus = errors.New("unexpected HTTP status")
	// ErrBadResponse: the reply does not carry the requested bytes (a
	// Content-Range for other bytes, content encoding).
	ErrBadResponse = errors.New("bad web seed response")
	// ErrShortBody: the body ended before the requested bytes, or its
	// declared length is shorter. The server lies about its file's length:
	// the Client is disabled.
	ErrShortBody = errors.New("web seed body too short")
	// ErrLongBody: the body holds more than the requested bytes, or its
	// declared length is longer. The Client is disabled.
	ErrLongBody = errors.New("web seed body too long")
	// ErrWrongLength: the server's Content-Range gives its file another
	// length than the torrent's. The Client is disabled.
	ErrWrongLength = errors.New("web seed file length differs from the torrent's")
	// ErrTooManyRedirects: more than MaxRedirects redirects, or a loop.
	ErrTooManyRedirects = errors.New("too many redirects")
)

// Defaults and bounds.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxFailures = 5
	// MinBackoff and MaxBackoff bound the wait after a failure: it doubles
	// from MinBackoff with each consecutive failure, and is MaxBackoff once
	// MaxFailures failures follow each other.
	MinBackoff = 5 * time.Second
	MaxBackoff = 10 * time.Minute
	// MaxRedirects a single request follows.
	MaxRedirects = 5
	// MaxBadPieces reported before the Client is disabled: a server with
	// different content than the torrent wastes bandwidth forever.
	MaxBadPieces = 3
	// MaxWholeFile is the largest file read once and kept whole when its
	// server ignores Range (answers 200 with the whole file); a larger
	// file's body is read forward, in order, and not kept.
	MaxWholeFile = 4 << 20
	// MaxKept bounds the bytes of whole files a Client keeps.
	MaxKept = 16 << 20
)

// Options tunes a Client. The zero value is usable.
type Options struct {
	// HTTPClient sends the requests; its CheckRedirect is wrapped to stop
	// after MaxRedirects. Nil means a client over http.DefaultTransport.
	HTTPClient *http.Client
	// Timeout bounds one HTTP request (one file segment), body included.
	// Default DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent when not empty.
	UserAgent string
	// MaxFailures consecutive failures make the back-off MaxBackoff.
	// Default DefaultMaxFailures.
	MaxFailures int
	// Now is the clock for back-off deadlines (tests inject one); nil
	// means time.Now.
	Now func() time.Time
}

// Client fetches pieces of one torrent from one web seed URL. It is safe
// for concurrent use: the engine may fetch several pieces at once.
type Client struct {
	raw         string
	base        *url.URL
	info        *metainfo.Info
	http        *http.Client
	timeout     time.Duration
	userAgent   string
	maxFailures int
	now         func() time.Time

	mu        sync.Mutex
	failures  int // consecutive, reset by a successful fetch
	badPieces int
	retryAt   time.Time
	disabled  error // why the Client is disabled; nil while enabled
	lastErr   error // the last failure, nil after a success

	// Replies of a server that ignores Range (body.go).
	ignoresRange atomic.Bool
	lastEnd      atomic.Int64 // torrent offset just after the last piece fetched
	wholeMax     int64        // MaxWholeFile; tests lower it
	keptMax      int64        // MaxKept; tests lower it
	bodyMu       sync.Mutex
	kept         map[int][]byte // file index -> whole content
	keptOrder    []int          // kept files, oldest first
	keptBytes    int64
	open         *body // at most one open 200 body
}

// New makes a Client for the web seed rawURL (from the torrent's url-list)
// serving the files of info.
func New(rawURL string, info *metainfo.Info, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("webseed: URL %q: %w: %w", clip(rawURL), ErrBadURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("webseed: URL %q: %w", clip(rawURL), ErrUnsupportedScheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("webseed: URL %q: no host: %w", clip(rawURL), ErrBadURL)
	}
	u.Fragment, u.RawFragment = "", ""
	if err := checkInfo(info); err != nil {
		return nil, err
	}

	c := &Client{
		raw:         rawURL,
		base:        u,
		info:        info,
		http:        redirectLimited(opts.HTTPClient),
		timeout:     opts.Timeout,
		userAgent:   opts.UserAgent,
		maxFailures: opts.MaxFailures,
		now:         opts.Now,
		wholeMax:    MaxWholeFile,
		keptMax:     MaxKept,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxFailures <= 0 {
		c.maxFailures = DefaultMaxFailures
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// URL is the web seed URL as given to New.
func (c *Client) URL() string { return c.raw }

// checkInfo refuses Infos whose pieces cannot be mapped onto file segments
// without gaps, so FetchPiece always fills the whole piece.
func checkInfo(info *metainfo.Info) error {
	if info == nil {
		return fmt.Errorf("webseed: nil info: %w", ErrBadInfo)
	}
	if info.PieceLength <= 0 || info.Length <= 0 || len(info.Files) == 0 {
		return fmt.Errorf("webseed: piece length %d, length %d, %d files: %w",
			info.PieceLength, info.Length, len(info.Files), ErrBadInfo)
	}
	var off int64
	for i, f := range info.Files {
		if f.Length < 0 || f.Offset != off || len(f.Path) == 0 {
			return fmt.Errorf("webseed: file %d: offset %d, length %d, want offset %d: %w",
				i, f.Offset, f.Length, off, ErrBadInfo)
		}
		off += f.Length
	}
	if off != info.Length {
		return fmt.Errorf("webseed: files hold %d bytes, info says %d: %w", off, info.Length, ErrBadInfo)
	}
	return nil
}

// redirectLimited returns a copy of hc (sharing its Transport) that stops
// after MaxRedirects redirects, also ending loops.
func redirectLimited(hc *http.Client) *http.Client {
	var out http.Client
	if hc != nil {
		out = *hc
	}
	inner := out.CheckRedirect
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("webseed: after %d redirects: %w", MaxRedirects, ErrTooManyRedirects)
		}
		if inner != nil {
			return inner(req, via)
		}
		return nil
	}
	return &out
}

// clip bounds text quoted in error messages.
func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
