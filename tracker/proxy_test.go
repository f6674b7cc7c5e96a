//go:build linux

package tracker

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/socks5"
	"github.com/braid-bt/braid/internal/socks5/socks5test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startTestTracker runs the tracker server on 127.0.0.1 (HTTP and UDP).
func startTestTracker(t *testing.T) (httpURL, udpURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", "127.0.0.1:0", ServerConfig{}, func(h, u string) { urls <- [2]string{h, u} })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-urls:
		return u[0], u[1]
	case err := <-done:
		t.Fatal(err)
	}
	return "", ""
}

// announceAs announces peer id b on port through c and returns the peers.
func announceAs(t *testing.T, c Client, id byte, port uint16) []netip.AddrPort {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req := AnnounceRequest{InfoHash: [20]byte{1, 2, 3}, PeerID: [20]byte{id}, Port: port, Left: 1, Event: EventStarted}
	res, err := c.Announce(ctx, req)
	require.NoError(t, err)
	return res.Peers
}

// TestAnnounceThroughSOCKS5: an HTTP announce through microsocks and a
// UDP announce through dante's UDP ASSOCIATE reach the tracker from the
// proxies' outgoing addresses (127.0.0.2 and 127.0.0.3), which is what
// the tracker hands other peers; the UDP tracker's replies come back
// through the relay.
func TestAnnounceThroughSOCKS5(t *testing.T) {
	httpURL, udpURL := startTestTracker(t)
	ms := socks5test.Microsocks(t, "127.0.0.1", "127.0.0.2", "", "")
	dante := socks5test.Dante(t, "127.0.0.1", "127.0.0.3")
	viaMS, err := socks5.ParseURL("socks5://" + ms.Addr)
	require.NoError(t, err)
	viaDante, err := socks5.ParseURL("socks5://" + dante.Addr)
	require.NoError(t, err)

	hc, err := NewClient(httpURL, ClientOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: viaMS.DialContext}}})
	require.NoError(t, err)
	announceAs(t, hc, 1, 7001)
	uc, err := NewClient(udpURL, ClientOptions{DialUDP: viaDante.DialUDP})
	require.NoError(t, err)
	announceAs(t, uc, 2, 7002)
	// A second UDP announce reuses the connection id (the relay's IP
	// is the same) and still gets through.
	announceAs(t, uc, 2, 7002)

	direct, err := NewClient(httpURL, ClientOptions{})
	require.NoError(t, err)
	got := announceAs(t, direct, 3, 7003)
	assert.ElementsMatch(t, []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.2:7001"), netip.MustParseAddrPort("127.0.0.3:7002"),
	}, got, "the tracker saw each proxy's address, never ours (127.0.0.1)")

	// A proxy that is down fails the announce; nothing goes direct.
	dante.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = uc.Announce(ctx, AnnounceRequest{InfoHash: [20]byte{1, 2, 3}, PeerID: [20]byte{4}, Port: 7004, Left: 1})
	require.Error(t, err)
	var ne *net.OpError
	assert.ErrorAs(t, err, &ne)
	got = announceAs(t, direct, 3, 7003)
	assert.NotContains(t, got, netip.MustParseAddrPort("127.0.0.1:7004"))
}
