//go:build linux

package lsd

import (
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNodesFindEachOther runs two nodes in a network namespace of the
// test's own (multicast only on its own interfaces): each learns the other's
// peer port for the torrent both joined, never its own, and nothing for a
// torrent only one of them runs.
func TestNodesFindEachOther(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	a, err := Start(Config{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	defer a.Close()
	b, err := Start(Config{Interface: "lsd1"})
	require.NoError(t, err)
	defer b.Close()
	require.Len(t, a.groups, 2, "IPv4 and IPv6 groups joined")

	shared, onlyA := [20]byte{1}, [20]byte{2}
	foundA, leaveA := a.Join(shared, 1111)
	defer leaveA()
	foundB, leaveB := b.Join(shared, 2222)
	defer leaveB()
	otherB, leaveOther := b.Join([20]byte{3}, 2222)
	defer leaveOther()
	_, leaveOnlyA := a.Join(onlyA, 1111)
	defer leaveOnlyA()

	v4, v6 := waitPeers(t, foundB)
	assert.Equal(t, netip.MustParseAddrPort(netnstest.Addr4+":1111"), v4)
	assert.Equal(t, uint16(1111), v6.Port())
	v4, v6 = waitPeers(t, foundA)
	assert.Equal(t, netip.MustParseAddrPort(netnstest.Addr4+":2222"), v4)
	assert.Equal(t, uint16(2222), v6.Port())
	select {
	case p := <-otherB:
		t.Fatalf("a torrent only b runs found %v", p)
	case <-time.After(500 * time.Millisecond):
	}
}

// waitPeers returns the first IPv4 and IPv6 peers found.
func waitPeers(t *testing.T, found <-chan netip.AddrPort) (v4, v6 netip.AddrPort) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !v4.IsValid() || !v6.IsValid() {
		select {
		case p := <-found:
			if p.Addr().Is4() {
				v4 = p
			} else {
				v6 = p
			}
		case <-deadline:
			t.Fatalf("found only %v and %v", v4, v6)
		}
	}
	return v4, v6
}

// TestRateLimit: a torrent joined again (or by a second subscriber) is not
// announced again before AnnounceEvery, which is at least a minute.
func TestRateLimit(t *testing.T) {
	n := &Node{cfg: Config{AnnounceEvery: minAnnounceEvery}, torrents: make(map[[20]byte]*entry), kick: make(chan struct{}, 1)}
	_, leave := n.Join([20]byte{1}, 1)
	defer leave()
	t0 := time.Now()
	n.announceDue(t0)
	assert.Equal(t, t0, n.torrents[[20]byte{1}].last)
	_, leave2 := n.Join([20]byte{1}, 1)
	n.announceDue(t0.Add(59 * time.Second))
	assert.Equal(t, t0, n.torrents[[20]byte{1}].last, "not again within a minute")
	n.announceDue(t0.Add(time.Minute))
	assert.Equal(t, t0.Add(time.Minute), n.torrents[[20]byte{1}].last)
	leave2()
	leave()
	assert.Empty(t, n.torrents, "left by all: no longer announced")
}
