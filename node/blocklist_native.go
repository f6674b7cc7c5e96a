//go:build !js

package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/braid-bt/braid/blocklist"
)

// Bounds on fetching a blocklist by URL.
const (
	// BlocklistFetchTimeout bounds the whole download.
	BlocklistFetchTimeout = 2 * time.Minute
	// MaxBlocklistDownload bounds the bytes downloaded (compressed or
	// not; blocklist.MaxBytes bounds them after decompression).
	MaxBlocklistDownload = 64 << 20
)

// isURL reports whether src names an http:// or https:// URL.
func isURL(src string) bool {
	l := strings.ToLower(src)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// loadBlocklist reads the blocklist at src: a file, or an http(s) URL
// fetched within BlocklistFetchTimeout and MaxBlocklistDownload bytes.
// Every failure wraps ErrBlocklist.
func loadBlocklist(src string, hc *http.Client) (blocker, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	var r io.Reader
	if isURL(src) {
		ctx, cancel := context.WithTimeout(context.Background(), BlocklistFetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrBlocklist, src, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBlocklist, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w %s: HTTP %s", ErrBlocklist, src, resp.Status)
		}
		r = &capReader{r: resp.Body, n: MaxBlocklistDownload}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBlocklist, err)
		}
		defer f.Close()
		r = f
	}
	l, err := blocklist.Parse(r, blocklist.Options{})
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBlocklist, src, err)
	}
	return l, nil
}

// errDownloadTooLarge: a fetched blocklist passed MaxBlocklistDownload.
var errDownloadTooLarge = errors.New("download larger than the limit")

// capReader reads at most n bytes and fails past them (rather than
// ending quietly, which would parse a truncated list).
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, fmt.Errorf("%w (%d bytes)", errDownloadTooLarge, MaxBlocklistDownload)
	}
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return 0, fmt.Errorf("%w (%d bytes)", errDownloadTooLarge, MaxBlocklistDownload)
	}
	return n, err
}
