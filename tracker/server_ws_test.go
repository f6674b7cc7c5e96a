//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package tracker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"

	"github.com/braid-bt/braid/tracker/wsproto"
)

// wsTracker is a Server on an httptest listener, dialled over WebSocket.
type wsTracker struct {
	srv *Server
	url string // ws://127.0.0.1:port/announce
}

func newWSTracker(t *testing.T, cfg ServerConfig) *wsTracker {
	t.Helper()
	if cfg.Interval == 0 {
		cfg.Interval = 120 * time.Second
	}
	s := NewServer(cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.CloseWebSockets()
		hs.Close()
	})
	return &wsTracker{srv: s, url: WebSocketURL(hs.URL) + "/announce"}
}

// wsClient is one signalling socket in a test.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func (tr *wsTracker) dial(t *testing.T) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, tr.url, nil)
	require.NoError(t, err)
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t: t, c: c}
}

func (w *wsClient) sendRaw(b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(w.t, w.c.Write(ctx, websocket.MessageText, b))
}

func (w *wsClient) send(m *wsproto.Message) {
	w.t.Helper()
	b, err := wsproto.Encode(m)
	require.NoError(w.t, err)
	w.sendRaw(b)
}

func (w *wsClient) recv() *wsproto.Message {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	require.NoError(w.t, err)
	m, err := wsproto.Decode(b)
	require.NoError(w.t, err, "%s", b)
	return m
}

// barrier scrapes and returns every frame that arrived before the scrape
// reply. Frames to one socket are queued in order under the hub's lock,
// so anything relayed before the scrape was sent shows up here.
func (w *wsClient) barrier() []*wsproto.Message {
	w.t.Helper()
	w.send(&wsproto.Message{Action: wsproto.ActionScrape})
	var before []*wsproto.Message
	for {
		m := w.recv()
		if m.Action == wsproto.ActionScrape && m.FailureReason == "" {
			return before
		}
		before = append(before, m)
	}
}

func wid(s string) wsproto.ID {
	var id wsproto.ID
	copy(id[:], s+strings.Repeat(".", 20))
	return id
}

func i64(v int64) *int64 { return &v }
func iptr(v int) *int    { return &v }

func offersN(n int, tag string) []wsproto.Offer {
	out := make([]wsproto.Offer, n)
	for i := range out {
		out[i] = wsproto.Offer{OfferID: wid(fmt.Sprintf("%s-%d", tag, i)), Offer: wsproto.SDP{Type: "offer", SDP: fmt.Sprintf("v=0 %s %d", tag, i)}}
	}
	return out
}

func announceMsg(ih, peer string, left int64, event string, offers []wsproto.Offer) *wsproto.Message {
	m := &wsproto.Message{
		Action: wsproto.ActionAnnounce, InfoHash: wid(ih), PeerID: wid(peer),
		Uploaded: i64(0), Downloaded: i64(0), Left: i64(left), Event: event, Offers: offers,
	}
	if len(offers) > 0 {
		m.NumWant = iptr(len(offers))
	}
	return m
}

// announce sends m and returns the tracker's reply (counts).
func (w *wsClient) announce(m *wsproto.Message) *wsproto.Message {
	w.t.Helper()
	w.send(m)
	r := w.recv()
	require.Empty(w.t, r.FailureReason)
	require.Equal(w.t, wsproto.ActionAnnounce, r.Action)
	require.Equal(w.t, m.InfoHash, r.InfoHash)
	require.NotNil(w.t, r.Interval)
	require.NotNil(w.t, r.Complete)
	require.NotNil(w.t, r.Incomplete)
	return r
}

func (w *wsClient) failure() string {
	w.t.Helper()
	m := w.recv()
	require.NotEmpty(w.t, m.FailureReason, "want a failure reply")
	return m.FailureReason
}

func TestWSOfferAnswerRelay(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	seed, leech := tr.dial(t), tr.dial(t)

	r := seed.announce(announceMsg("T", "seeder", 0, "started", nil))
	assert.Equal(t, 120, *r.Interval)
	assert.Equal(t, 1, *r.Complete)
	assert.Equal(t, 0, *r.Incomplete)

	offers := offersN(3, "L")
	r = leech.announce(announceMsg("T", "leecher", 100, "started", offers))
	assert.Equal(t, 1, *r.Complete)
	assert.Equal(t, 1, *r.Incomplete)

	// The only other peer gets exactly one offer, from the leecher.
	got := seed.barrier()
	require.Len(t, got, 1)
	o := got[0]
	assert.Equal(t, wid("leecher"), o.PeerID)
	assert.Equal(t, wid("T"), o.InfoHash)
	require.NotNil(t, o.OfferID)
	require.NotNil(t, o.Offer)
	assert.Equal(t, offers[0].OfferID, *o.OfferID)
	assert.Equal(t, offers[0].Offer, *o.Offer)
	assert.Empty(t, leech.barrier(), "no offer back to the offerer")

	// The seeder answers; the answer reaches the leecher, and the seeder
	// gets no reply of its own.
	to := wid("leecher")
	seed.send(&wsproto.Message{
		Action: wsproto.ActionAnnounce, InfoHash: wid("T"), PeerID: wid("seeder"),
		ToPeerID: &to, OfferID: o.OfferID, Answer: &wsproto.SDP{Type: "answer", SDP: "v=0 answer"},
	})
	a := leech.recv()
	assert.Equal(t, wsproto.ActionAnnounce, a.Action)
	assert.Equal(t, wid("seeder"), a.PeerID)
	assert.Equal(t, wid("T"), a.InfoHash)
	require.NotNil(t, a.OfferID)
	assert.Equal(t, offers[0].OfferID, *a.OfferID)
	require.NotNil(t, a.Answer)
	assert.Equal(t, "v=0 answer", a.Answer.SDP)
	assert.Nil(t, a.ToPeerID)
	assert.Empty(t, seed.barrier())

	// The same offer cannot be answered twice.
	seed.send(&wsproto.Message{
		Action: wsproto.ActionAnnounce, InfoHash: wid("T"), PeerID: wid("seeder"),
		ToPeerID: &to, OfferID: o.OfferID, Answer: &wsproto.SDP{Type: "answer", SDP: "again"},
	})
	assert.Contains(t, seed.failure(), "offer_id")
	assert.Empty(t, leech.barrier())
}

func TestWSOffersSpreadAndNumWant(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	peers := make([]*wsClient, 4)
	for i := range peers {
		peers[i] = tr.dial(t)
		peers[i].announce(announceMsg("T", fmt.Sprintf("p%d", i), 0, "started", nil))
	}
	// Another torrent's peer on the same tracker never sees these offers.
	other := tr.dial(t)
	other.announce(announceMsg("U", "u0", 0, "started", nil))

	c := tr.dial(t)
	m := announceMsg("T", "c", 50, "started", offersN(10, "C"))
	m.NumWant = iptr(2)
	c.announce(m)
	total := 0
	seenOffer := map[wsproto.ID]bool{}
	for _, p := range peers {
		got := p.barrier()
		require.LessOrEqual(t, len(got), 1, "at most one offer per peer")
		for _, o := range got {
			require.NotNil(t, o.OfferID)
			assert.False(t, seenOffer[*o.OfferID], "each offer goes to one peer")
			seenOffer[*o.OfferID] = true
			assert.Equal(t, wid("c"), o.PeerID)
		}
		total += len(got)
	}
	assert.Equal(t, 2, total, "numwant caps the relays")
	assert.Empty(t, other.barrier())

	// Without numwant, every offer is used, one per other peer.
	c2 := tr.dial(t)
	m = announceMsg("T", "c2", 50, "started", offersN(10, "D"))
	m.NumWant = nil
	c2.announce(m)
	total = 0
	for _, p := range append(peers, c) {
		got := p.barrier()
		require.Len(t, got, 1)
		assert.Equal(t, wid("c2"), got[0].PeerID)
		total++
	}
	assert.Equal(t, 5, total)
}

func TestWSStopAndCloseRemove(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	a, b, c := tr.dial(t), tr.dial(t), tr.dial(t)
	a.announce(announceMsg("T", "a", 0, "started", nil))
	b.announce(announceMsg("T", "b", 10, "started", nil))
	r := c.announce(announceMsg("T", "c", 10, "started", nil))
	assert.Equal(t, 1, *r.Complete)
	assert.Equal(t, 2, *r.Incomplete)

	r = b.announce(announceMsg("T", "b", 10, "stopped", nil))
	assert.Equal(t, 1, *r.Complete)
	assert.Equal(t, 1, *r.Incomplete)

	// Offers now only reach a: b stopped.
	c.announce(announceMsg("T", "c", 10, "", offersN(5, "C")))
	assert.Len(t, a.barrier(), 1)
	assert.Empty(t, b.barrier())

	// Closing a's socket removes it from the swarm.
	require.NoError(t, a.c.Close(websocket.StatusNormalClosure, "bye"))
	require.Eventually(t, func() bool {
		return scrapeCounts(t, c, "T") == wsproto.ScrapeFile{Complete: 0, Incomplete: 1}
	}, 5*time.Second, 20*time.Millisecond)
	c.announce(announceMsg("T", "c", 10, "", offersN(5, "E")))
	assert.Empty(t, b.barrier())
}

func scrapeCounts(t *testing.T, w *wsClient, ih string) wsproto.ScrapeFile {
	t.Helper()
	w.send(&wsproto.Message{Action: wsproto.ActionScrape, InfoHash: wid(ih), InfoHashes: []wsproto.ID{wid(ih)}})
	for {
		m := w.recv()
		if m.Action == wsproto.ActionScrape {
			require.Contains(t, m.Files, wid(ih))
			return m.Files[wid(ih)]
		}
	}
}

func TestWSScrapeAndCompleted(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	a, b := tr.dial(t), tr.dial(t)
	a.announce(announceMsg("T", "a", 0, "started", nil))
	b.announce(announceMsg("T", "b", 10, "started", nil))
	assert.Equal(t, wsproto.ScrapeFile{Complete: 1, Incomplete: 1}, scrapeCounts(t, a, "T"))
	r := b.announce(announceMsg("T", "b", 0, "completed", nil))
	assert.Equal(t, 2, *r.Complete)
	assert.Equal(t, 0, *r.Incomplete)
	assert.Equal(t, wsproto.ScrapeFile{Complete: 2, Downloaded: 1}, scrapeCounts(t, a, "T"))
	assert.Equal(t, wsproto.ScrapeFile{}, scrapeCounts(t, a, "unknown"))

	// Several hashes at once, as an array.
	a.sendRaw([]byte(`{"action":"scrape","info_hash":["` + wid("T").String() + `","` + wid("X").String() + `"]}`))
	m := a.recv()
	assert.Len(t, m.Files, 2)
}

func TestWSHostileFrames(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	good, evil := tr.dial(t), tr.dial(t)
	good.announce(announceMsg("T", "good", 0, "started", nil))
	evil.announce(announceMsg("T", "evil", 10, "started", nil))

	ih := wid("T").String()
	many := make([]string, 1000)
	for i := range many {
		many[i] = `{"offer_id":"` + wid(fmt.Sprint(i)).String() + `","offer":{}}`
	}
	cases := map[string]struct {
		frame string
		want  string
	}{
		"bad json":           {`{"action":"announce",`, "invalid"},
		"not an object":      {`[]`, "invalid"},
		"unknown action":     {`{"action":"connect"}`, "action"},
		"no action":          {`{"info_hash":"` + ih + `"}`, "action"},
		"short info_hash":    {`{"action":"announce","info_hash":"abc","peer_id":"` + ih + `"}`, "info_hash"},
		"long peer_id":       {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + ih + `x"}`, "peer_id"},
		"missing peer_id":    {`{"action":"announce","info_hash":"` + ih + `"}`, "peer_id"},
		"1000 offers":        {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("evil").String() + `","offers":[` + strings.Join(many, ",") + `]}`, "offers"},
		"bad event":          {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("evil").String() + `","event":"explode"}`, "event"},
		"short offer_id":     {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("evil").String() + `","offers":[{"offer_id":"x","offer":{}}]}`, "id"},
		"answer no to":       {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("evil").String() + `","offer_id":"` + ih + `","answer":{"type":"answer","sdp":"x"}}`, "to_peer_id"},
		"unsolicited answer": {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("evil").String() + `","to_peer_id":"` + wid("good").String() + `","offer_id":"` + ih + `","answer":{"type":"answer","sdp":"x"}}`, "offer_id"},
		"spoofed answerer":   {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("good").String() + `","to_peer_id":"` + wid("good").String() + `","offer_id":"` + ih + `","answer":{"type":"answer","sdp":"x"}}`, "not announced"},
		"stolen peer_id":     {`{"action":"announce","info_hash":"` + ih + `","peer_id":"` + wid("good").String() + `","left":5}`, "in use"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			evil.sendRaw([]byte(tc.frame))
			assert.Contains(t, evil.failure(), tc.want)
		})
	}
	// None of that reached the good peer, and it is still served.
	assert.Empty(t, good.barrier())
	assert.Equal(t, wsproto.ScrapeFile{Complete: 1, Incomplete: 1}, scrapeCounts(t, good, "T"))

	// An oversize frame closes the sender only.
	evil.sendRaw([]byte(`{"action":"announce","x":"` + strings.Repeat("x", wsproto.MaxMessageSize) + `"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := evil.c.Read(ctx)
	require.Error(t, err)
	assert.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err))
	require.Eventually(t, func() bool {
		return scrapeCounts(t, good, "T") == wsproto.ScrapeFile{Complete: 1}
	}, 5*time.Second, 20*time.Millisecond, "the closed socket's peer left the swarm")
	good.announce(announceMsg("T", "good", 0, "", nil))
}

func TestWSLimits(t *testing.T) {
	t.Run("message flood closes the socket", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{WebSocket: WSConfig{MessageRate: 0.001, MessageBurst: 5}})
		w := tr.dial(t)
		for range 5 {
			w.send(&wsproto.Message{Action: wsproto.ActionScrape})
			w.recv()
		}
		w.send(&wsproto.Message{Action: wsproto.ActionScrape})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _, err := w.c.Read(ctx)
		assert.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
	})
	t.Run("offer budget", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{WebSocket: WSConfig{OfferRate: 0.001, OfferBurst: 3}})
		a, b := tr.dial(t), tr.dial(t)
		for i, w := range []*wsClient{a, b} {
			w.announce(announceMsg("T", fmt.Sprint("p", i), 0, "started", nil))
		}
		c := tr.dial(t)
		for i := range 3 {
			c.announce(announceMsg("T", "c", 1, "", offersN(1, fmt.Sprint("O", i))))
		}
		c.announce(announceMsg("T", "c", 1, "", offersN(1, "over")))
		assert.Contains(t, c.failure(), "too many offers")
		assert.Len(t, append(a.barrier(), b.barrier()...), 3)
	})
	t.Run("torrents per socket", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{WebSocket: WSConfig{MaxPeersPerConn: 2}})
		w := tr.dial(t)
		w.announce(announceMsg("A", "p", 0, "started", nil))
		w.announce(announceMsg("B", "p", 0, "started", nil))
		w.send(announceMsg("C", "p", 0, "started", nil))
		assert.Contains(t, w.failure(), "too many torrents")
		w.announce(announceMsg("A", "p", 0, "stopped", nil))
		w.announce(announceMsg("C", "p", 0, "started", nil))
	})
	t.Run("swarms and peers", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{MaxSwarms: 1, MaxPeersPerSwarm: 1})
		w := tr.dial(t)
		w.announce(announceMsg("A", "p", 0, "started", nil))
		w.send(announceMsg("B", "p", 0, "started", nil))
		assert.Contains(t, w.failure(), ErrTooManySwarms.Error())
		w.send(announceMsg("A", "q", 0, "started", nil))
		assert.Contains(t, w.failure(), ErrSwarmFull.Error())
	})
	t.Run("connection cap", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{WebSocket: WSConfig{MaxConns: 1}})
		tr.dial(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, tr.url, nil)
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	})
	t.Run("idle timeout", func(t *testing.T) {
		tr := newWSTracker(t, ServerConfig{WebSocket: WSConfig{IdleTimeout: 200 * time.Millisecond}})
		w := tr.dial(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _, err := w.c.Read(ctx)
		require.Error(t, err)
		assert.NoError(t, ctx.Err(), "the server closed the socket, not the test's timeout")
	})
}

func TestWSSharesPortWithHTTP(t *testing.T) {
	tr := newWSTracker(t, ServerConfig{})
	httpURL := "http" + strings.TrimPrefix(tr.url, "ws")
	// An HTTP announce still works on the same handler...
	var ih [20]byte
	copy(ih[:], "http-torrent........")
	resp, err := http.Get(httpURL + "?info_hash=" + strings.Repeat("%41", 20) + "&peer_id=" + strings.Repeat("%42", 20) + "&port=6881&left=0&compact=1")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(body), "interval")
	assert.NotContains(t, string(body), "failure")
	// ...and WebSocket at the root path too.
	root := &wsTracker{url: strings.TrimSuffix(tr.url, "/announce") + "/"}
	root.dial(t).announce(announceMsg("T", "p", 0, "started", nil))
	assert.Equal(t, "ws://h:1/announce", WebSocketURL("http://h:1/announce"))
	assert.Equal(t, "wss://h/announce", WebSocketURL("https://h/announce"))
}

func TestWSListenAndServeClosesSockets(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", "", ServerConfig{}, func(h, _ string) { urls <- h })
	}()
	tr := &wsTracker{url: WebSocketURL(<-urls)}
	w := tr.dial(t)
	w.announce(announceMsg("T", "p", 0, "started", nil))
	cancel()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	_, _, err := w.c.Read(rctx)
	require.Error(t, err)
	assert.NoError(t, rctx.Err())
	require.NoError(t, <-done)
}
