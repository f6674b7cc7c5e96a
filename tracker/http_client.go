package tracker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// httpClient announces to an HTTP(S) tracker.
type httpClient struct {
	url  *url.URL
	name string // the URL without its query, which may hold a passkey
	http *http.Client
	opts ClientOptions

	mu        sync.Mutex
	trackerID string // echoed back once the tracker has sent one
}

func newHTTPClient(u *url.URL, opts ClientOptions) (*httpClient, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("tracker: announce URL %q has no host", u.Redacted())
	}
	base := http.Client{}
	if opts.HTTPClient != nil {
		base = *opts.HTTPClient
	}
	inner := base.CheckRedirect
	base.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("%w (%d)", ErrTooManyRedirects, len(via))
		}
		if inner != nil {
			return inner(req, via)
		}
		return nil
	}
	cu := *u
	cu.Fragment, cu.RawFragment = "", ""
	name := cu
	name.RawQuery, name.ForceQuery, name.User = "", false, nil
	return &httpClient{url: &cu, name: name.String(), http: &base, opts: opts}, nil
}

// Announce implements Client.
func (c *httpClient) Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error) {
	c.mu.Lock()
	tid := c.trackerID
	c.mu.Unlock()
	u := *c.url
	u.RawQuery = appendAnnounceQuery(u.RawQuery, &req, tid)
	body, err := c.get(ctx, &u)
	if err != nil {
		return nil, err
	}
	resp, newTID, err := parseHTTPResponse(body)
	if err != nil {
		return nil, fmt.Errorf("tracker %s: %w", c.name, err)
	}
	if newTID != "" {
		c.mu.Lock()
		c.trackerID = newTID
		c.mu.Unlock()
	}
	return resp, nil
}

// Scrape implements Scraper (BEP 48): at most httpScrapeMax torrents per
// request, so the query stays short.
func (c *httpClient) Scrape(ctx context.Context, infoHashes [][20]byte) ([]ScrapeResult, error) {
	su, ok := scrapeURL(c.url)
	if !ok {
		return nil, fmt.Errorf("tracker %s: %w (no \"announce\" path element)", c.name, ErrNoScrape)
	}
	out := make([]ScrapeResult, 0, len(infoHashes))
	for rest := infoHashes; len(rest) > 0; {
		batch := rest[:min(len(rest), httpScrapeMax)]
		rest = rest[len(batch):]
		u := *su
		var q strings.Builder
		q.WriteString(u.RawQuery)
		for _, h := range batch {
			if q.Len() > 0 {
				q.WriteByte('&')
			}
			q.WriteString("info_hash=")
			q.WriteString(escapeBytes(h[:]))
		}
		u.RawQuery = q.String()
		body, err := c.get(ctx, &u)
		if err != nil {
			return nil, err
		}
		res, err := parseHTTPScrape(body, batch)
		if err != nil {
			return nil, fmt.Errorf("tracker %s: scrape: %w", c.name, err)
		}
		out = append(out, res...)
	}
	return out, nil
}

// get fetches u within the per-attempt timeout and returns at most
// maxHTTPBody bytes of its body.
func (c *httpClient) get(ctx context.Context, u *url.URL) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout())
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("tracker %s: %w", c.name, err)
	}
	if c.opts.UserAgent != "" {
		hreq.Header.Set("User-Agent", c.opts.UserAgent)
	}
	hresp, err := c.do(hreq)
	if err != nil {
		// url.Error repeats the whole query (our peer id); say less.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("tracker %s: %w", c.name, err)
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxHTTPBody+1))
	if err != nil {
		return nil, fmt.Errorf("tracker %s: reading reply: %w", c.name, err)
	}
	if len(body) > maxHTTPBody {
		return nil, fmt.Errorf("tracker %s: %w (over %d bytes)", c.name, ErrResponseTooLarge, maxHTTPBody)
	}
	if hresp.StatusCode/100 != 2 {
		// Some trackers send their failure reason with an error status.
		if bytes.HasPrefix(body, []byte("d")) {
			if _, _, perr := parseHTTPResponse(body); errors.Is(perr, ErrFailure) {
				return nil, fmt.Errorf("tracker %s: HTTP %d: %w", c.name, hresp.StatusCode, perr)
			}
		}
		return nil, fmt.Errorf("tracker %s: HTTP status %s", c.name, sanitize(hresp.Status))
	}
	return body, nil
}
