//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/braid-bt/braid/tracker"
)

// defaultScrapeTimeout bounds the wait for one tracker in braid info --scrape.
const defaultScrapeTimeout = 10 * time.Second

// scrapeTarget is what braid info --scrape asks the trackers about.
type scrapeTarget struct {
	urls    []string
	hash    [20]byte
	timeout time.Duration
	opts    tracker.ClientOptions // a proxy's HTTP client and UDP dialer, if any
}

// swarmHash is the 20-byte hash trackers know a torrent by: the v1 info
// hash, or for a v2-only torrent its v2 hash truncated (BEP 52).
func swarmHash(v1 [20]byte, v2 [32]byte, hasV1 bool) [20]byte {
	if hasV1 {
		return v1
	}
	return [20]byte(v2[:20])
}

// run scrapes every tracker once, all at the same time, each within the
// timeout, and prints one line per tracker in the torrent's order. It
// fails when no tracker answered.
func (s *scrapeTarget) run(stdout io.Writer) error {
	var urls []string
	seen := map[string]bool{}
	for _, u := range s.urls {
		if u = strings.TrimSpace(u); u != "" && !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return errors.New("scrape: the torrent names no tracker")
	}
	type outcome struct {
		res tracker.ScrapeResult
		err error
	}
	out := make([]outcome, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			res, err := scrapeOne(u, s.hash, s.timeout, s.opts)
			out[i] = outcome{res, err}
		})
	}
	wg.Wait()
	answered := 0
	for i, u := range urls {
		if err := out[i].err; err != nil {
			fmt.Fprintf(stdout, "scrape:       %s: failed: %s\n", u, oneLine(scrapeReason(err)))
			continue
		}
		answered++
		r := out[i].res
		fmt.Fprintf(stdout, "scrape:       %s: %d seeders, %d leechers, %d completed\n", u, r.Seeders, r.Leechers, r.Completed)
	}
	if answered == 0 {
		return fmt.Errorf("scrape: none of %d trackers answered", len(urls))
	}
	return nil
}

// scrapeOne asks one tracker about one torrent within timeout.
func scrapeOne(url string, ih [20]byte, timeout time.Duration, opts tracker.ClientOptions) (tracker.ScrapeResult, error) {
	opts.Timeout, opts.UserAgent = timeout, "Braid/"+semverString()
	c, err := tracker.NewClient(url, opts)
	if err != nil {
		return tracker.ScrapeResult{}, err
	}
	sc, ok := c.(tracker.Scraper)
	if !ok {
		return tracker.ScrapeResult{}, tracker.ErrNoScrape
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := sc.Scrape(ctx, [][20]byte{ih})
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, tracker.ErrTimeout) {
		return tracker.ScrapeResult{}, fmt.Errorf("no reply within %v", timeout)
	}
	if err != nil {
		return tracker.ScrapeResult{}, err
	}
	if len(res) != 1 {
		return tracker.ScrapeResult{}, fmt.Errorf("%d results for one torrent", len(res))
	}
	return res[0], nil
}

// scrapeReason drops the "tracker URL: " prefix the line already shows.
func scrapeReason(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "tracker ") {
		if i := strings.Index(msg, ": "); i > 0 {
			return msg[i+2:]
		}
	}
	return strings.TrimPrefix(msg, "tracker: ")
}
