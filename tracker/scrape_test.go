package tracker

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScrapeSwarmFromServer announces a swarm of 80 torrents to our
// Server over each protocol, then scrapes all of them (more than one HTTP
// request and one UDP packet hold) and checks every counter.
func TestScrapeSwarmFromServer(t *testing.T) {
	const torrents = 80
	for _, proto := range []string{"http", "udp"} {
		t.Run(proto, func(t *testing.T) {
			tt := startTracker(t, ServerConfig{Interval: time.Hour})
			url := tt.httpURL
			if proto == "udp" {
				url = tt.udpURL
			}
			ctx := testCtx(t)
			c := newTestClient(t, url)
			hashes := make([][20]byte, 0, torrents+1)
			want := make([]ScrapeResult, 0, torrents+1)
			port := uint16(20000)
			for i := range torrents {
				ih := hash(byte(i + 1))
				w := ScrapeResult{Seeders: i % 3, Leechers: i%2 + 1}
				announce := func(left int64, ev Event) {
					port++
					_, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(byte(port)), Port: port, Left: left, Event: ev, NumWant: 5})
					require.NoError(t, err)
				}
				for s := range w.Seeders {
					ev := EventStarted
					if s == 0 && i%4 == 0 {
						ev, w.Completed = EventCompleted, 1
					}
					announce(0, ev)
				}
				for range w.Leechers {
					announce(100, EventStarted)
				}
				hashes, want = append(hashes, ih), append(want, w)
			}
			hashes, want = append(hashes, hash(200)), append(want, ScrapeResult{}) // unknown: zeros

			res, err := c.(Scraper).Scrape(ctx, hashes)
			require.NoError(t, err)
			assert.Equal(t, want, res)

			res, err = c.(Scraper).Scrape(ctx, nil)
			require.NoError(t, err)
			assert.Empty(t, res, "nothing asked, nothing answered")
		})
	}
}

// TestHTTPScrapeBatches checks the HTTP client asks for at most
// httpScrapeMax torrents per request and keeps the announce URL's query.
func TestHTTPScrapeBatches(t *testing.T) {
	srv := NewServer(ServerConfig{})
	var sizes []int
	u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/scrape", r.URL.Path)
		assert.Equal(t, "abc", r.URL.Query().Get("pk"), "the passkey stays")
		sizes = append(sizes, len(r.URL.Query()["info_hash"]))
		srv.ServeHTTP(w, r)
	})
	c := newTestClient(t, u+"?pk=abc")
	hashes := make([][20]byte, 130)
	for i := range hashes {
		hashes[i] = hash(byte(i))
	}
	res, err := c.(Scraper).Scrape(testCtx(t), hashes)
	require.NoError(t, err)
	assert.Len(t, res, 130)
	assert.Equal(t, []int{64, 64, 2}, sizes)
}

func TestHTTPScrapeReplies(t *testing.T) {
	ih := hash(7)
	entry := func(v any) string {
		b, err := bencode.Marshal(map[string]any{"files": map[string]any{string(ih[:]): v}})
		require.NoError(t, err)
		return string(b)
	}
	many := map[string]any{}
	for i := range maxScrapeFiles + 1 {
		many[strings.Repeat("x", 16)+string(rune(0x1000+i))] = map[string]int{"complete": 1}
	}
	tooMany, err := bencode.Marshal(map[string]any{"files": many})
	require.NoError(t, err)

	tests := []struct {
		name, body string
		want       ScrapeResult
		err        error
		errText    string
	}{
		{name: "counters", body: entry(map[string]int{"complete": 3, "incomplete": 4, "downloaded": 5}), want: ScrapeResult{Seeders: 3, Leechers: 4, Completed: 5}},
		{name: "unknown torrent", body: "d5:filesdee"},
		{name: "negative and huge", body: entry(map[string]int64{"complete": -3, "incomplete": 1 << 40}), want: ScrapeResult{Leechers: 1<<31 - 1}},
		{name: "counter of the wrong type", body: entry(map[string]any{"complete": "many", "incomplete": 2}), want: ScrapeResult{Leechers: 2}},
		{name: "failure reason", body: "d14:failure reason12:scrape is ofe", err: ErrFailure, errText: "scrape is of"},
		{name: "not bencode", body: "<html>", err: ErrMalformed},
		{name: "a list", body: "le", err: ErrMalformed},
		{name: "no files", body: "de", err: ErrMalformed},
		{name: "files not a dict", body: "d5:files3:abce", err: ErrMalformed},
		{name: "entry not a dict", body: entry(7), err: ErrMalformed},
		{name: "truncated", body: entry(map[string]int{"complete": 3})[:30], err: ErrMalformed},
		{name: "too many files", body: string(tooMany), err: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tc.body)) })
			res, err := newTestClient(t, u).(Scraper).Scrape(testCtx(t), [][20]byte{ih})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Contains(t, err.Error(), tc.errText)
				assert.Contains(t, err.Error(), "scrape")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []ScrapeResult{tc.want}, res)
		})
	}
}

func TestUDPScrapeErrors(t *testing.T) {
	t.Run("error reply", func(t *testing.T) {
		f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
			req, err := parseUDPRequest(pkt)
			if err == nil && req.Action == actionScrape {
				return [][]byte{appendUDPError(nil, req.TxID, "no scrape here")}
			}
			return [][]byte{replyOK(pkt, false)}
		})
		_, err := udpClientFor(t, f.url(), time.Second).(Scraper).Scrape(testCtx(t), [][20]byte{hash(1)})
		require.ErrorIs(t, err, ErrFailure)
		assert.Contains(t, err.Error(), "no scrape here")
	})
	t.Run("short reply", func(t *testing.T) {
		f := startFakeUDP(t, "udp", "127.0.0.1:0", func(n int, pkt []byte) [][]byte {
			req, err := parseUDPRequest(pkt)
			if err == nil && req.Action == actionScrape {
				full := appendUDPScrapeResponse(nil, req.TxID, make([]ScrapeResult, len(req.Hashes)))
				return [][]byte{full[:len(full)-1]}
			}
			return [][]byte{replyOK(pkt, false)}
		})
		_, err := udpClientFor(t, f.url(), time.Second).(Scraper).Scrape(testCtx(t), [][20]byte{hash(1), hash(2)})
		require.ErrorIs(t, err, ErrMalformed)
	})
}

// TestAnnouncerScrapes checks each tracker is scraped at start and again
// after ScrapeInterval, and its counters reach Status.
func TestAnnouncerScrapes(t *testing.T) {
	ih := hash(120)
	tt := startTracker(t, ServerConfig{Interval: time.Hour})
	rt := startRecTracker(t, ServerConfig{Interval: time.Hour})
	rt.seedPeer(t, ih, loop(7301))
	_, err := tt.srv.announce(&AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7302, Left: 0, Event: EventCompleted}, loop(7302), familyAny)
	require.NoError(t, err)

	cfg := testAnnouncerConfig(ih, &peerSink{})
	cfg.ScrapeInterval = 50 * time.Millisecond
	a := NewAnnouncer([][]string{{rt.url}, {tt.udpURL}}, cfg)
	runAnnouncer(t, a)
	byURL := func() map[string]TrackerStatus {
		out := map[string]TrackerStatus{}
		for _, st := range a.Status() {
			out[st.URL] = st
		}
		return out
	}
	// Our own announce counts once it landed before a scrape.
	require.Eventually(t, func() bool {
		st := byURL()
		return st[rt.url].ScrapeSeeders == 1 && st[rt.url].ScrapeLeechers == 1 &&
			st[tt.udpURL].ScrapeSeeders == 1 && st[tt.udpURL].ScrapeLeechers == 1 && st[tt.udpURL].ScrapeCompleted == 1
	}, eventually, 5*time.Millisecond)
	first := byURL()[tt.udpURL].LastScrape
	assert.False(t, first.IsZero())
	assert.NoError(t, byURL()[tt.udpURL].ScrapeError)

	_, err = tt.srv.announce(&AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7303, Left: 0}, loop(7303), familyAny)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return byURL()[tt.udpURL].ScrapeSeeders == 2 }, eventually, 5*time.Millisecond)
	assert.True(t, byURL()[tt.udpURL].LastScrape.After(first))
}

// TestAnnouncerScrapeSchedule checks the default: one scrape at start,
// none again within the interval, however often the tracker is announced
// to; a tracker without scrape is asked once and shows why.
func TestAnnouncerScrapeSchedule(t *testing.T) {
	ih := hash(121)
	srv := NewServer(ServerConfig{Interval: time.Second})
	var scrapes, noScrapeHits atomic.Int32
	u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/scrape" {
			scrapes.Add(1)
		}
		srv.ServeHTTP(w, r)
	})
	other := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
		noScrapeHits.Add(1)
		r.URL.Path = "/announce"
		srv.ServeHTTP(w, r)
	})
	other = strings.TrimSuffix(other, "/announce") + "/ann"
	cfg := testAnnouncerConfig(ih, &peerSink{})
	cfg.MinInterval = time.Second
	a := NewAnnouncer([][]string{{u}, {other}}, cfg)
	runAnnouncer(t, a)
	require.Eventually(t, func() bool {
		n := 0
		for _, st := range a.Status() {
			if !st.LastAnnounce.IsZero() {
				n++
			}
		}
		return n == 2 && scrapes.Load() == 1
	}, eventually, 5*time.Millisecond)
	time.Sleep(2500 * time.Millisecond) // two more announces each
	assert.EqualValues(t, 1, scrapes.Load(), "scraped once in the first 30 minutes")
	for _, st := range a.Status() {
		if st.URL == other {
			assert.True(t, errors.Is(st.ScrapeError, ErrNoScrape), "%v", st.ScrapeError)
			assert.True(t, st.LastScrape.IsZero())
		} else {
			assert.NoError(t, st.ScrapeError)
			assert.False(t, st.LastScrape.IsZero())
		}
	}
	assert.GreaterOrEqual(t, noScrapeHits.Load(), int32(2), "announced, never scraped")
}
