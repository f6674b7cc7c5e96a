package tracker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientServerLifecycle drives both clients through started,
// completed and stopped against our Server.
func TestClientServerLifecycle(t *testing.T) {
	tt := startTracker(t, ServerConfig{Interval: 90 * time.Second})
	for _, proto := range []string{"http", "udp"} {
		t.Run(proto, func(t *testing.T) {
			url := tt.httpURL
			ih := hash(1)
			if proto == "udp" {
				url, ih = tt.udpURL, hash(2)
			}
			ctx := testCtx(t)
			a, b := newTestClient(t, url), newTestClient(t, url)
			reqA := AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7001, Left: 100, Event: EventStarted, NumWant: 10}
			reqB := AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7002, Left: 0, Event: EventStarted, NumWant: 10}

			resp, err := a.Announce(ctx, reqA)
			require.NoError(t, err)
			assert.Empty(t, resp.Peers, "the only peer must not get itself")
			assert.Equal(t, 90*time.Second, resp.Interval)
			assert.Equal(t, 1, resp.Leechers)
			assert.Equal(t, 0, resp.Seeders)

			resp, err = b.Announce(ctx, reqB)
			require.NoError(t, err)
			assert.Equal(t, []netip.AddrPort{loop(7001)}, resp.Peers)
			assert.Equal(t, 1, resp.Seeders)
			assert.Equal(t, 1, resp.Leechers)

			reqA.Event, reqA.Left = EventCompleted, 0
			resp, err = a.Announce(ctx, reqA)
			require.NoError(t, err)
			assert.Equal(t, []netip.AddrPort{loop(7002)}, resp.Peers)
			assert.Equal(t, 2, resp.Seeders)
			assert.Equal(t, 0, resp.Leechers)

			sc, ok := a.(Scraper)
			require.True(t, ok)
			res, err := sc.Scrape(ctx, [][20]byte{ih, hash(99)})
			require.NoError(t, err)
			assert.Equal(t, []ScrapeResult{{Seeders: 2, Completed: 1}, {}}, res)

			reqB.Event = EventStopped
			_, err = b.Announce(ctx, reqB)
			require.NoError(t, err)
			reqA.Event = EventNone
			resp, err = a.Announce(ctx, reqA)
			require.NoError(t, err)
			assert.Empty(t, resp.Peers, "stopped peer must be gone")
			assert.Equal(t, 1, resp.Seeders)
		})
	}
}

func TestServerExcludesRequesterAndHonoursNumWant(t *testing.T) {
	tt := startTracker(t, ServerConfig{MaxPeersReply: 5})
	ctx := testCtx(t)
	c := newTestClient(t, tt.httpURL)
	ih := hash(3)
	for i := range 8 {
		_, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(byte(i)), Port: uint16(8000 + i), Left: 1})
		require.NoError(t, err)
	}
	for range 20 {
		resp, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(0), Port: 8000, Left: 1, NumWant: 100})
		require.NoError(t, err)
		assert.Len(t, resp.Peers, 5, "capped by MaxPeersReply")
		assert.NotContains(t, resp.Peers, loop(8000))
	}
	// The same peer id on another port is the requester too.
	resp, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 9999, Left: 1, NumWant: 50})
	require.NoError(t, err)
	assert.NotContains(t, resp.Peers, loop(8001))
	assert.NotContains(t, resp.Peers, loop(9999))
	resp, err = c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(0), Port: 8000, Left: 1, NumWant: 2})
	require.NoError(t, err)
	assert.Len(t, resp.Peers, 2)
}

func TestServerExpiry(t *testing.T) {
	clock := newFakeClock()
	tt := startTracker(t, ServerConfig{Interval: time.Minute, Now: clock.Now})
	for _, proto := range []string{"http", "udp"} {
		t.Run(proto, func(t *testing.T) {
			url, ih := tt.httpURL, hash(10)
			if proto == "udp" {
				url, ih = tt.udpURL, hash(11)
			}
			ctx := testCtx(t)
			c := newTestClient(t, url)
			_, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 7001, Left: 1, Event: EventStarted})
			require.NoError(t, err)
			_, err = c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(3), Port: 7003, Left: 1, Event: EventStarted})
			require.NoError(t, err)

			clock.Advance(90 * time.Second)
			// Peer 3 re-announces: it stays alive, peer 1 does not.
			_, err = c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(3), Port: 7003, Left: 1})
			require.NoError(t, err)
			resp, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7002, Left: 1, Event: EventStarted})
			require.NoError(t, err)
			assert.ElementsMatch(t, []netip.AddrPort{loop(7001), loop(7003)}, resp.Peers, "within 2×Interval")

			clock.Advance(31 * time.Second) // peer 1 is now 121 s old
			resp, err = c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 7002, Left: 1})
			require.NoError(t, err)
			assert.Equal(t, []netip.AddrPort{loop(7003)}, resp.Peers)
			assert.Equal(t, 2, resp.Leechers)
		})
	}
}

func TestServerLimits(t *testing.T) {
	tt := startTracker(t, ServerConfig{MaxSwarms: 2, MaxPeersPerSwarm: 2})
	for _, proto := range []string{"http", "udp"} {
		t.Run(proto, func(t *testing.T) {
			url := tt.httpURL
			base := byte(20)
			if proto == "udp" {
				url, base = tt.udpURL, 30
			}
			ctx := testCtx(t)
			c := newTestClient(t, url)
			_, err := c.Announce(ctx, AnnounceRequest{InfoHash: hash(base), PeerID: peerID(1), Port: 1, Left: 1})
			require.NoError(t, err)
			_, err = c.Announce(ctx, AnnounceRequest{InfoHash: hash(base), PeerID: peerID(2), Port: 2, Left: 1})
			require.NoError(t, err)
			_, err = c.Announce(ctx, AnnounceRequest{InfoHash: hash(base), PeerID: peerID(3), Port: 3, Left: 1})
			require.ErrorIs(t, err, ErrFailure)
			assert.Contains(t, err.Error(), ErrSwarmFull.Error())
			// A known peer may still re-announce.
			_, err = c.Announce(ctx, AnnounceRequest{InfoHash: hash(base), PeerID: peerID(2), Port: 2, Left: 0})
			require.NoError(t, err)
		})
	}
	ctx := testCtx(t)
	c := newTestClient(t, tt.httpURL)
	_, err := c.Announce(ctx, AnnounceRequest{InfoHash: hash(40), PeerID: peerID(1), Port: 1, Left: 1})
	require.ErrorIs(t, err, ErrFailure)
	assert.Contains(t, err.Error(), ErrTooManySwarms.Error())
}

// TestServerHTTPReplies checks the raw replies: non-compact lists,
// peers6, failures for bad queries, scrape.
func TestServerHTTPReplies(t *testing.T) {
	s := NewServer(ServerConfig{})
	ih, id := hash(50), peerID(1)
	q := func(port int, extra string) string {
		id := peerID(byte(port))
		return "/announce?info_hash=" + escapeBytes(ih[:]) + "&peer_id=" + escapeBytes(id[:]) +
			"&port=" + formatInt(int64(port)) + "&left=5" + extra
	}
	get := func(remote, target string) []byte {
		r, err := http.NewRequest(http.MethodGet, "http://tracker"+target, nil)
		require.NoError(t, err)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.Bytes()
	}
	get("[2001:db8::1]:5555", q(6001, ""))
	get("10.0.0.1:5555", q(6002, ""))

	var compact struct {
		Peers  string `bencode:"peers"`
		Peers6 string `bencode:"peers6"`
	}
	require.NoError(t, bencode.Unmarshal(get("10.0.0.2:1", q(6003, "")), &compact))
	p4, err := parseCompactPeers([]byte(compact.Peers), false)
	require.NoError(t, err)
	p6, err := parseCompactPeers([]byte(compact.Peers6), true)
	require.NoError(t, err)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:6002")}, p4)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:6001")}, p6)

	var full struct {
		Peers []struct {
			IP     string `bencode:"ip"`
			PeerID string `bencode:"peer id"`
			Port   int    `bencode:"port"`
		} `bencode:"peers"`
	}
	require.NoError(t, bencode.Unmarshal(get("10.0.0.2:1", q(6003, "&compact=0")), &full))
	got := map[string]int{}
	for _, p := range full.Peers {
		got[p.IP] = p.Port
		id := peerID(byte(p.Port))
		assert.Equal(t, string(id[:]), p.PeerID)
	}
	assert.Equal(t, map[string]int{"2001:db8::1": 6001, "10.0.0.1": 6002}, got)
	var noID struct {
		Peers []map[string]any `bencode:"peers"`
	}
	require.NoError(t, bencode.Unmarshal(get("10.0.0.2:1", q(6003, "&compact=0&no_peer_id=1")), &noID))
	require.Len(t, noID.Peers, 2)
	assert.NotContains(t, noID.Peers[0], "peer id")
	for _, bad := range []string{
		"/announce?info_hash=short&peer_id=" + escapeBytes(id[:]) + "&port=1",
		"/announce?info_hash=" + escapeBytes(ih[:]) + "&peer_id=" + escapeBytes(id[:]) + "&port=0",
		"/announce?info_hash=" + escapeBytes(ih[:]) + "&peer_id=" + escapeBytes(id[:]) + "&port=1&left=-1",
		"/announce?info_hash=%zz",
		"/scrape",
	} {
		var f struct {
			Reason string `bencode:"failure reason"`
		}
		require.NoError(t, bencode.Unmarshal(get("10.0.0.3:1", bad), &f), bad)
		assert.NotEmpty(t, f.Reason, bad)
	}
	body := get("10.0.0.3:1", "/scrape?info_hash="+escapeBytes(ih[:]))
	res, err := parseHTTPScrape(body, [][20]byte{ih})
	require.NoError(t, err)
	assert.Equal(t, []ScrapeResult{{Leechers: 3}}, res)
}

// TestServerUDPConnectionIDs checks that unknown connection ids get no
// reply and ids expire after two buckets.
func TestServerUDPConnectionIDs(t *testing.T) {
	clock := newFakeClock()
	s := NewServer(ServerConfig{Now: clock.Now})
	from := netip.MustParseAddrPort("192.0.2.7:4000")
	reply := s.handleUDP(nil, appendUDPConnect(nil, 77), from)
	_, tid, err := parseUDPHeader(reply)
	require.NoError(t, err)
	assert.Equal(t, uint32(77), tid)
	id, err := parseUDPConnectResponse(reply)
	require.NoError(t, err)

	req := AnnounceRequest{InfoHash: hash(60), PeerID: peerID(1), Port: 6881, Left: 1}
	ok := s.handleUDP(nil, appendUDPAnnounce(nil, id, 5, &req, ""), from)
	action, _, err := parseUDPHeader(ok)
	require.NoError(t, err)
	assert.Equal(t, uint32(actionAnnounce), action)

	rejected := func(pkt []byte, msg string) {
		reply := s.handleUDP(nil, pkt, from)
		action, _, err := parseUDPHeader(reply)
		require.NoError(t, err, msg)
		assert.Equal(t, uint32(actionError), action, msg)
		assert.LessOrEqual(t, len(reply), len(pkt), "an error reply must not amplify")
	}
	accepted := func(pkt []byte, msg string) {
		action, _, err := parseUDPHeader(s.handleUDP(nil, pkt, from))
		require.NoError(t, err, msg)
		assert.Equal(t, uint32(actionAnnounce), action, msg)
	}
	rejected(appendUDPAnnounce(nil, id^1, 5, &req, ""), "forged id")
	other := netip.MustParseAddrPort("192.0.2.8:4000")
	action, _, err = parseUDPHeader(s.handleUDP(nil, appendUDPAnnounce(nil, id, 5, &req, ""), other))
	require.NoError(t, err)
	assert.Equal(t, uint32(actionError), action, "id of another IP")
	accepted(appendUDPAnnounce(nil, id, 5, &req, "/announce?x=1"), "BEP 41 options ignored")

	clock.Advance(60 * time.Second)
	accepted(appendUDPAnnounce(nil, id, 5, &req, ""), "previous bucket still good")
	clock.Advance(60 * time.Second)
	rejected(appendUDPAnnounce(nil, id, 5, &req, ""), "expired")
	rejected(appendUDPScrape(nil, id, 5, [][20]byte{hash(1)}), "expired scrape")
	assert.Empty(t, s.handleUDP(nil, []byte("tiny"), from), "runts get nothing")

	// A malformed request with a valid id gets an error reply.
	id = s.newConnectionID(from.Addr())
	short := appendUDPHeader(nil, id, actionAnnounce, 9)
	action, tid, err = parseUDPHeader(s.handleUDP(nil, short, from))
	require.NoError(t, err)
	assert.Equal(t, uint32(actionError), action)
	assert.Equal(t, uint32(9), tid)
}

func TestListenAndServe(t *testing.T) {
	ctx := testCtx(t)
	ctx, cancel := context.WithCancel(ctx)
	urls := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", "127.0.0.1:0", ServerConfig{}, func(h, u string) { urls <- [2]string{h, u} })
	}()
	var u [2]string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	require.True(t, strings.HasPrefix(u[0], "http://127.0.0.1:"), u[0])
	require.True(t, strings.HasPrefix(u[1], "udp://127.0.0.1:"), u[1])
	for _, url := range u {
		c := newTestClient(t, url)
		_, err := c.Announce(ctx, AnnounceRequest{InfoHash: hash(70), PeerID: peerID(1), Port: 1, Left: 1})
		require.NoError(t, err, url)
	}
	cancel()
	require.NoError(t, <-done)
	// Both listeners are gone.
	_, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(u[0], "http://"), "/announce"), time.Second)
	require.Error(t, err)
}
