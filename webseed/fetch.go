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
// start a back-off; 404/410 disables the Client. Cancelling ctx is not the
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
	return buf, nil
}

// fetchSegment fills seg with the bytes of file f starting at off.
func (c *Client) fetchSegment(ctx context.Context, f int, off int64, seg []byte) error {
	fileLen := c.info.Files[f].Length
	u := c.fileURL(f)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", clip(u), ErrBadURL, err)
	}
	last := off + int64(len(seg)) - 1
	req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(last, 10))
	// Compressed bodies would not match byte ranges of the file.
	req.Header.Set("Accept-Encoding", "identity")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.do(req, fileLen+1) // readSegment reads at most fileLen+1 bytes
	if err != nil {
		// url.Error repeats method and URL; say it once.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", clip(u), err)
	}
	defer resp.Body.Close()
	if err := c.readSegment(resp, off, fileLen, seg); err != nil {
		return fmt.Errorf("%s: %w", clip(u), err)
	}
	return nil
}

// readSegment checks the reply to a Range request for bytes off..off+len(seg)-1
// of a file of fileLen bytes and reads them into seg.
func (c *Client) readSegment(resp *http.Response, off, fileLen int64, seg []byte) error {
	want := int64(len(seg))
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return fmt.Errorf("content encoding %q: %w", clip(ce), ErrBadResponse)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		cr := resp.Header.Get("Content-Range")
		first, last, total, err := ParseContentRange(cr)
		if err != nil {
			return err
		}
		if first != off || last != off+want-1 || (total >= 0 && total != fileLen) {
			return fmt.Errorf("Content-Range %q, want bytes %d-%d/%d: %w", clip(cr), off, off+want-1, fileLen, ErrBadResponse)
		}
		if err := checkContentLength(resp.ContentLength, want); err != nil {
			return err
		}
		if err := readFull(resp.Body, seg); err != nil {
			return err
		}
		return expectEnd(resp.Body)

	case http.StatusOK:
		// The server ignored Range and sends the whole file.
		if err := checkContentLength(resp.ContentLength, fileLen); err != nil {
			return err
		}
		whole := off == 0 && want == fileLen
		if !whole && fileLen > MaxSkip {
			return fmt.Errorf("server ignored Range on a %d-byte file: %w", fileLen, ErrBadResponse)
		}
		if skipped, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
			return bodyError(err, skipped, fileLen)
		}
		if err := readFull(resp.Body, seg); err != nil {
			return err
		}
		rest := fileLen - off - want
		if skipped, err := io.CopyN(io.Discard, resp.Body, rest); err != nil {
			return bodyError(err, off+want+skipped, fileLen)
		}
		return expectEnd(resp.Body)

	default:
		return c.statusError(resp)
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
