package tracker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serveBytes(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL + "/announce"
}

func TestHTTPClientReplies(t *testing.T) {
	compact4 := string([]byte{10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 0}) // second has port 0
	compact6 := string(append(netip.MustParseAddr("2001:db8::5").AsSlice(), 0x1a, 0xe2))
	tests := []struct {
		name    string
		body    any // bencoded when not a string
		status  int
		want    *AnnounceResponse
		wantErr error
		errText string
	}{
		{
			name: "compact with peers6",
			body: map[string]any{"interval": 1800, "min interval": 60, "complete": 3, "incomplete": 4,
				"peers": compact4, "peers6": compact6, "warning message": "be nice"},
			want: &AnnounceResponse{Interval: 30 * time.Minute, MinInterval: time.Minute, Seeders: 3, Leechers: 4,
				Warning: "be nice", Peers: []netip.AddrPort{
					netip.MustParseAddrPort("10.0.0.1:6881"), netip.MustParseAddrPort("[2001:db8::5]:6882")}},
		},
		{
			name: "non-compact list of dicts",
			body: map[string]any{"interval": 60, "peers": []any{
				map[string]any{"ip": "192.0.2.1", "port": 6881, "peer id": "xxxxxxxxxxxxxxxxxxxx"},
				map[string]any{"ip": "2001:db8::1", "port": 6882},
				map[string]any{"ip": "::ffff:192.0.2.9", "port": 6883},
				map[string]any{"ip": "tracker.example", "port": 6884}, // names are skipped
				map[string]any{"ip": "192.0.2.2", "port": 0},          // port 0 skipped
				map[string]any{"ip": "192.0.2.3", "port": 70000},      // out of range
				map[string]any{"ip": 5, "port": "x"},                  // wrong types
				"not a dict",
			}},
			want: &AnnounceResponse{Interval: time.Minute, Peers: []netip.AddrPort{
				netip.MustParseAddrPort("192.0.2.1:6881"), netip.MustParseAddrPort("[2001:db8::1]:6882"),
				netip.MustParseAddrPort("192.0.2.9:6883")}},
		},
		{
			name: "negative and huge numbers are bounded",
			body: map[string]any{"interval": -5, "min interval": int64(1) << 50, "complete": -1, "incomplete": int64(1) << 40, "peers": ""},
			want: &AnnounceResponse{MinInterval: maxIntervalSec * time.Second, Leechers: 1<<31 - 1, Peers: []netip.AddrPort{}},
		},
		{name: "failure reason", body: map[string]any{"failure reason": "torrent not registered\n"}, wantErr: ErrFailure, errText: "torrent not registered"},
		{name: "failure with HTTP 400", status: 400, body: map[string]any{"failure reason": "bad passkey"}, wantErr: ErrFailure, errText: "bad passkey"},
		{name: "HTTP 500", status: 500, body: "oops", errText: "500"},
		{name: "garbage", body: "<html>hello</html>", wantErr: ErrMalformed},
		{name: "truncated", body: "d8:intervali60e5:peers12:abc", wantErr: ErrMalformed},
		{name: "bad compact length", body: map[string]any{"peers": "12345"}, wantErr: ErrMalformed},
		{name: "peers is an int", body: map[string]any{"peers": 5}, wantErr: ErrMalformed},
		{name: "trailing bytes", body: "d8:intervali60ee junk", wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, ok := tc.body.(string)
			if !ok {
				body = string(bencode.MustMarshal(tc.body))
			}
			u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				_, _ = w.Write([]byte(body))
			})
			resp, err := newTestClient(t, u).Announce(testCtx(t), AnnounceRequest{Port: 1})
			if tc.wantErr == nil && tc.errText == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, resp)
				return
			}
			require.Error(t, err)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.Contains(t, err.Error(), tc.errText)
		})
	}
}

func TestHTTPClientQuery(t *testing.T) {
	var got atomic.Value
	u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.RawQuery)
		_, _ = w.Write(bencode.MustMarshal(map[string]any{"interval": 60, "peers": "", "tracker id": "T1"}))
	})
	c, err := NewClient(u+"?passkey=abc#frag", ClientOptions{UserAgent: "Braid/test"})
	require.NoError(t, err)
	ih := [20]byte{0x00, 0x12, 'a', 'Z', '-', '.', '_', '~', ' ', '%', 0xff}
	req := AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 6881, Uploaded: 10, Downloaded: 20, Left: 30,
		Event: EventStarted, NumWant: 40, Key: 0xdeadbeef}
	_, err = c.Announce(testCtx(t), req)
	require.NoError(t, err)
	q := got.Load().(string)
	assert.True(t, strings.HasPrefix(q, "passkey=abc&info_hash=%00%12aZ-._~%20%25%FF%00"), q)
	values, err := url.ParseQuery(q)
	require.NoError(t, err)
	assert.Equal(t, string(ih[:]), values.Get("info_hash"))
	id := peerID(1)
	assert.Equal(t, string(id[:]), values.Get("peer_id"))
	for k, v := range map[string]string{"passkey": "abc", "port": "6881", "uploaded": "10", "downloaded": "20",
		"left": "30", "compact": "1", "event": "started", "numwant": "40", "key": "DEADBEEF"} {
		assert.Equal(t, v, values.Get(k), k)
	}
	assert.False(t, values.Has("trackerid"))

	// The tracker id comes back; a periodic announce carries no event.
	req.Event = EventNone
	_, err = c.Announce(testCtx(t), req)
	require.NoError(t, err)
	values, err = url.ParseQuery(got.Load().(string))
	require.NoError(t, err)
	assert.Equal(t, "T1", values.Get("trackerid"))
	assert.False(t, values.Has("event"))

	// What the client builds, the server parses back.
	a, err := parseHTTPAnnounceQuery(got.Load().(string))
	require.NoError(t, err)
	assert.Equal(t, req, a.Req)
}

func TestHTTPClientLimits(t *testing.T) {
	t.Run("huge body", func(t *testing.T) {
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("x", 64<<10))
			for range 40 { // 2.5 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
		_, err := newTestClient(t, u).Announce(testCtx(t), AnnounceRequest{})
		require.ErrorIs(t, err, ErrResponseTooLarge)
	})
	t.Run("body just under the limit is read", func(t *testing.T) {
		pad := strings.Repeat("p", maxHTTPBody-100)
		body := "d8:intervali60e3:pad" + formatInt(int64(len(pad))) + ":" + pad + "5:peers0:e"
		require.Less(t, len(body), maxHTTPBody)
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
		resp, err := newTestClient(t, u).Announce(testCtx(t), AnnounceRequest{})
		require.NoError(t, err)
		assert.Equal(t, time.Minute, resp.Interval)
	})
	t.Run("redirect loop", func(t *testing.T) {
		var hits atomic.Int32
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		})
		_, err := newTestClient(t, u).Announce(testCtx(t), AnnounceRequest{})
		require.ErrorIs(t, err, ErrTooManyRedirects)
		assert.EqualValues(t, maxRedirects+1, hits.Load(), "the first request and 5 redirects")
	})
	t.Run("one redirect is followed", func(t *testing.T) {
		target := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(bencode.MustMarshal(map[string]any{"interval": 61, "peers": ""}))
		})
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+"?"+r.URL.RawQuery, http.StatusFound)
		})
		resp, err := newTestClient(t, u).Announce(testCtx(t), AnnounceRequest{})
		require.NoError(t, err)
		assert.Equal(t, 61*time.Second, resp.Interval)
	})
	t.Run("slow reply hits the per-attempt timeout", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		c, err := NewClient(u, ClientOptions{Timeout: 100 * time.Millisecond})
		require.NoError(t, err)
		_, err = c.Announce(context.Background(), AnnounceRequest{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("slow reply and a cancelled ctx", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := newTestClient(t, u).Announce(ctx, AnnounceRequest{})
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled), err)
	})
}

func TestHTTPClientErrorsHideQuery(t *testing.T) {
	u := serveBytes(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("junk")) })
	c, err := NewClient(u+"?passkey=SECRET", ClientOptions{})
	require.NoError(t, err)
	_, err = c.Announce(testCtx(t), AnnounceRequest{PeerID: peerID(1)})
	require.ErrorIs(t, err, ErrMalformed)
	assert.NotContains(t, err.Error(), "SECRET")
	assert.NotContains(t, err.Error(), "peer_id")
	assert.Contains(t, err.Error(), u)

	c, err = NewClient(strings.TrimSuffix(u, "/announce")+"/a?passkey=SECRET", ClientOptions{})
	require.NoError(t, err)
	_, err = c.(Scraper).Scrape(testCtx(t), [][20]byte{hash(1)})
	require.ErrorIs(t, err, ErrNoScrape)
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestNewClientSchemes(t *testing.T) {
	for _, u := range []string{"wss://tracker.example/announce", "ftp://x", "magnet:?xt=1", "tracker.example:80"} {
		_, err := NewClient(u, ClientOptions{})
		assert.ErrorIs(t, err, ErrUnsupportedScheme, u)
	}
	for _, u := range []string{"http://", "udp://host-without-port", "udp://"} {
		_, err := NewClient(u, ClientOptions{})
		assert.Error(t, err, u)
	}
	for _, u := range []string{"http://t.example/announce", "HTTPS://t.example/a?x=1", "udp://t.example:6969/announce"} {
		_, err := NewClient(u, ClientOptions{})
		assert.NoError(t, err, u)
	}
}

func TestScrapeURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://t/announce":           "http://t/scrape",
		"http://t/x/announce.php?a=b": "http://t/x/scrape.php?a=b",
		"http://t/announce?pk=1":      "http://t/scrape?pk=1",
		"http://t/a":                  "",
		"http://t/announce/x":         "",
	} {
		u, err := url.Parse(in)
		require.NoError(t, err)
		got, ok := scrapeURL(u)
		if want == "" {
			assert.False(t, ok, in)
			continue
		}
		require.True(t, ok, in)
		assert.Equal(t, want, got.String())
	}
}
