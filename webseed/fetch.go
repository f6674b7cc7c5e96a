package webseed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FetchPiece downloads piece from the web seed and returns its bytes
// (len = info.PieceSize(piece)), in dst when cap(dst) is big enough. A
// piece spanning several files takes one Range request per file segment;
// padding files are not fetched but zero-filled. The bytes are not
// verified: the caller hashes them and calls ReportBadPiece on a mismatch.
//
// Failures (network errors, bad statuses, bad replies, Options.Timeout)
// start a back-off; 404/410 and replies whose lengths contradict the
// torrent's (ErrShortBody, ErrLongBody, ErrWrongLength) disable the Client. Cancelling ctx is not the
// server's fault and counts for nothing. While backing off or disabled,
// FetchPiece fails at once with ErrBackingOff or ErrDisabled.
func (c *Client) FetchPiece(ctx context.Context, piece int, dst []byte) ([]byte, error) {
	size := c.info.PieceSize(piece)
	if size <= 0 {
		return nil, fmt.Errorf("webseed: piece %d of %d: %w", piece, c.info.NumPieces(), ErrInvalidPiece)
	}
	if err := c.ready(); err != nil {
		return nil, err
	}
	var buf []byte
	if int64(cap(dst)) >= size {
		buf = dst[:size]
	} else {
		buf = make([]byte, size)
	}

	start := c.info.PieceOffset(piece)
	end := start + size
	first, last := c.info.PieceFiles(piece)
	fetched := false
	for f := first; f <= last; f++ {
		file := c.info.Files[f]
		lo, hi := max(start, file.Offset), min(end, file.Offset+file.Length)
		if hi <= lo {
			continue // a zero-length file
		}
		seg := buf[lo-start : hi-start]
		if file.Padding {
			clear(seg)
			continue
		}
		if err := c.fetchSegment(ctx, f, lo-file.Offset, seg); err != nil {
			if ctx.Err() == nil {
				c.failed(err)
			}
			return nil, fmt.Errorf("webseed: piece %d: %w", piece, err)
		}
		fetched = true
	}
	if fetched {
		c.succeeded()
	}
	c.lastEnd.Store(end)
	return buf, nil
}

// fetchSegment fills seg with the bytes of file f starting at off: from a
// whole file kept in memory or an open body read in order, when the server
// ignores Range and one of them covers off, else with a new request.
func (c *Client) fetchSegment(ctx context.Context, f int, off int64, seg []byte) error {
	if c.ignoresRange.Load() {
		if done, err := c.fromBody(ctx, f, off, seg); done {
			return err
		}
	}
	return c.request(ctx, f, off, seg)
}

// request asks for bytes off..off+len(seg)-1 of file f and reads them into
// seg. A server that ignores Range and sends the whole file (200) is used:
// a small file is kept whole, a large one's body is left open, positioned
// after seg, for the segments that follow.
func (c *Client) request(ctx context.Context, f int, off int64, seg []byte) error {
	fileLen := c.info.Files[f].Length
	u := c.fileURL(f)
	// The request outlives this call when its body stays open: it is
	// cancelled by the watch while in use, and by closeBody after.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return fmt.Errorf("%s: %w: %w", clip(u), ErrBadURL, err)
	}
	last := off + int64(len(seg)) - 1
	req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(last, 10))
	// Compressed bodies would not match byte ranges of the file.
	req.Header.Set("Accept-Encoding", "identity")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	stop := c.watch(ctx, cancel)
	resp, err := c.do(req, fileLen+1) // never more than fileLen+1 bytes are read
	if err != nil {
		cancel()
		if why := stop(); why != nil {
			err = why
		}
		// url.Error repeats method and URL; say it once.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", clip(u), err)
	}
	b, err := c.readSegment(resp, f, off, seg)
	why := stop()
	if err != nil || why != nil || b == nil {
		_ = resp.Body.Close()
		cancel()
	}
	switch {
	case err != nil && why != nil:
		return fmt.Errorf("%s: %w", clip(u), why)
	case err != nil:
		return fmt.Errorf("%s: %w", clip(u), err)
	}
	if b != nil && why == nil {
		b.url, b.cancel = u, cancel
		c.keepBody(b)
	}
	return nil
}

// readSegment checks the reply to a Range request for bytes
// off..off+len(seg)-1 of file f and reads them into seg. For a 200 it
// also notes that the server ignores Range, and returns the open body of a
// file larger than the whole-file limit (nil otherwise: the body is done).
func (c *Client) readSegment(resp *http.Response, f int, off int64, seg []byte) (*body, error) {
	fileLen := c.info.Files[f].Length
	want := int64(len(seg))
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, fmt.Errorf("content encoding %q: %w", clip(ce), ErrBadResponse)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		cr := resp.Header.Get("Content-Range")
		first, last, total, err := ParseContentRange(cr)
		if err != nil {
			return nil, err
		}
		if total >= 0 && total != fileLen {
			return nil, fmt.Errorf("Content-Range %q says the file has %d bytes, the torrent %d: %w", clip(cr), total, fileLen, ErrWrongLength)
		}
		if first != off || last != off+want-1 {
			return nil, fmt.Errorf("Content-Range %q, want bytes %d-%d/%d: %w", clip(cr), off, off+want-1, fileLen, ErrBadResponse)
		}
		if err := checkContentLength(resp.ContentLength, want); err != nil {
			return nil, err
		}
		if err := readFull(resp.Body, seg); err != nil {
			return nil, err
		}
		return nil, expectEnd(resp.Body)

	case http.StatusOK:
		// The server ignored Range and sends the whole file: the segment
		// is inside it, at off.
		c.ignoresRange.Store(true)
		if err := checkContentLength(resp.ContentLength, fileLen); err != nil {
			return nil, err
		}
		if fileLen <= c.wholeMax {
			whole := make([]byte, fileLen)
			if err := readFull(resp.Body, whole); err != nil {
				return nil, err
			}
			if err := expectEnd(resp.Body); err != nil {
				return nil, err
			}
			copy(seg, whole[off:])
			c.keepFile(f, whole)
			return nil, nil
		}
		b := &body{file: f, rc: resp.Body}
		if err := b.read(off, seg, fileLen); err != nil {
			return nil, err
		}
		if b.pos == fileLen {
			return nil, nil // read to its end
		}
		return b, nil

	default:
		return nil, c.statusError(resp)
	}
}

// checkContentLength compares a declared body length (-1: unknown) with
// the expected one, so a wrong reply fails before its body is read.
func checkContentLength(declared, want int64) error {
	switch {
	case declared < 0 || declared == want:
		return nil
	case declared < want:
		return fmt.Errorf("Content-Length %d, want %d: %w", declared, want, ErrShortBody)
	default:
		return fmt.Errorf("Content-Length %d, want %d: %w", declared, want, ErrLongBody)
	}
}

// readFull reads exactly len(b) bytes of body.
func readFull(body io.Reader, b []byte) error {
	n, err := io.ReadFull(body, b)
	if err != nil {
		return bodyError(err, int64(n), int64(len(b)))
	}
	return nil
}

// bodyError explains a body that ended or broke after got of want bytes.
func bodyError(err error, got, want int64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("body ended after %d of %d bytes: %w", got, want, ErrShortBody)
	}
	return fmt.Errorf("reading body after %d of %d bytes: %w", got, want, err)
}

// expectEnd fails if body holds more bytes. Only a byte is read: a hostile
// server cannot make us read an endless body.
func expectEnd(body io.Reader) error {
	var one [1]byte
	if n, _ := io.ReadFull(body, one[:]); n > 0 {
		return fmt.Errorf("more bytes than requested: %w", ErrLongBody)
	}
	return nil
}

// statusError describes a reply that carries no data. Retry-After is
// honoured on 503 and 429, where servers use it for load shedding.
func (c *Client) statusError(resp *http.Response) error {
	e := &statusError{code: resp.StatusCode}
	if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
		e.retryAfter, e.hasRetry = ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	}
	return e
}

// statusError is an HTTP status other than 200/206.
type statusError struct {
	code       int
	retryAfter time.Duration
	hasRetry   bool
}

func (e *statusError) Error() string {
	// The server's reason phrase is not echoed: it is hostile text.
	s := fmt.Sprintf("HTTP %d %s", e.code, http.StatusText(e.code))
	if e.hasRetry {
		s += fmt.Sprintf(" (retry after %s)", e.retryAfter)
	}
	return s + ": " + e.Unwrap().Error()
}

func (e *statusError) Unwrap() error {
	if e.code == http.StatusNotFound || e.code == http.StatusGone {
		return ErrNotFound
	}
	return ErrBadStatus
}
