package tracker

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventNames(t *testing.T) {
	for _, tc := range []struct {
		e    Event
		name string
		udp  uint32
	}{
		{EventNone, "none", 0}, {EventStarted, "started", 2}, {EventCompleted, "completed", 1}, {EventStopped, "stopped", 3},
	} {
		assert.Equal(t, tc.name, tc.e.String())
		assert.Equal(t, tc.udp, tc.e.udpEvent())
		assert.Equal(t, tc.e, eventFromUDP(tc.udp))
		if tc.e != EventNone {
			assert.Equal(t, tc.e, parseEvent(tc.name))
		}
	}
	assert.Equal(t, EventNone, parseEvent("paused"))
	assert.Equal(t, EventNone, eventFromUDP(77))
	assert.Equal(t, "unknown", Event(42).String())
}

func TestServeHTTPRoutes(t *testing.T) {
	s := NewServer(ServerConfig{})
	for _, tc := range []struct {
		method, target string
		code           int
	}{
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/announce/x", http.StatusNotFound},
		{http.MethodPost, "/announce", http.StatusMethodNotAllowed},
		{http.MethodGet, "/announce", http.StatusOK}, // a failure reason, in a 200
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.target, nil))
		assert.Equal(t, tc.code, w.Code, tc.method+" "+tc.target)
	}
}

// TestServerUDPFamilies: a UDP reply carries only peers of the
// requester's address family (its compact format has one entry size).
func TestServerUDPFamilies(t *testing.T) {
	s := NewServer(ServerConfig{})
	ih := hash(80)
	announce := func(from netip.AddrPort, port uint16, id byte) *AnnounceResponse {
		cid := s.newConnectionID(from.Addr().Unmap())
		req := AnnounceRequest{InfoHash: ih, PeerID: peerID(id), Port: port, Left: 1}
		reply := s.handleUDP(nil, appendUDPAnnounce(nil, cid, 1, &req, ""), from)
		resp, err := parseUDPAnnounceResponse(reply, from.Addr().Is6() && !from.Addr().Is4In6())
		require.NoError(t, err)
		return resp
	}
	announce(netip.MustParseAddrPort("192.0.2.1:1"), 6001, 1)
	announce(netip.MustParseAddrPort("[2001:db8::1]:1"), 6002, 2)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:6001")},
		announce(netip.MustParseAddrPort("[::ffff:192.0.2.3]:1"), 6003, 3).Peers, "v4-mapped source is IPv4")
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:6002")},
		announce(netip.MustParseAddrPort("[2001:db8::4]:1"), 6004, 4).Peers)
}

func TestUDPOverIPv6Loopback(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	s := NewServer(ServerConfig{})
	done := make(chan error, 1)
	go func() { done <- s.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); require.NoError(t, <-done) })
	c := newTestClient(t, "udp://"+pc.LocalAddr().String())
	ctx := testCtx(t)
	ih := hash(81)
	_, err = c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(1), Port: 6001, Left: 1})
	require.NoError(t, err)
	resp, err := c.Announce(ctx, AnnounceRequest{InfoHash: ih, PeerID: peerID(2), Port: 6002, Left: 1})
	require.NoError(t, err)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("[::1]:6001")}, resp.Peers)
}

func TestURLHost(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:80":     "127.0.0.1:80",
		"[::]:80":        "127.0.0.1:80",
		"127.0.0.2:6969": "127.0.0.2:6969",
		"[::1]:1":        "[::1]:1",
	} {
		assert.Equal(t, want, urlHost(net.TCPAddrFromAddrPort(netip.MustParseAddrPort(in))), in)
	}
}
