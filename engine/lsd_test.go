package engine

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLSD records joins and lets the test hand peers to them.
type fakeLSD struct {
	mu     sync.Mutex
	joins  []string // "hash port"
	found  chan netip.AddrPort
	leaves chan struct{} // closed when the first join leaves
	once   sync.Once
}

func (f *fakeLSD) Join(ih [20]byte, port int) (<-chan netip.AddrPort, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joins = append(f.joins, string(ih[:1])+" "+netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)).String())
	return f.found, func() { f.once.Do(func() { close(f.leaves) }) }
}

func lsdTorrent(t *testing.T, private bool) (*Torrent, *fakeLSD, context.CancelFunc) {
	tor := bareTorrent(t, 1)
	f := &fakeLSD{found: make(chan netip.AddrPort, 1), leaves: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tor.e.ctx, tor.e.cfg.LSD, tor.e.cfg.Port = ctx, f, 6881
	tor.ih = [20]byte{'x'}
	tor.private.Store(private)
	return tor, f, cancel
}

// TestLSDFeedsPeers: a public torrent joins LSD with the listen port,
// each peer found reaches the loop as an LSD candidate, and the torrent
// leaves when it stops.
func TestLSDFeedsPeers(t *testing.T) {
	tor, f, stop := lsdTorrent(t, false)
	tor.runLSD()
	assert.Equal(t, []string{"x 0.0.0.0:6881"}, f.joins)
	f.found <- netip.MustParseAddrPort("10.0.0.5:7000")
	select {
	case ev := <-tor.events:
		require.IsType(t, evPeers{}, ev)
		assert.Equal(t, evPeers{addrs: []string{"10.0.0.5:7000"}, source: peers.FromLSD}, ev)
	case <-time.After(5 * time.Second):
		t.Fatal("no peers reached the loop")
	}
	stop()
	select {
	case <-f.leaves:
	case <-time.After(5 * time.Second):
		t.Fatal("the torrent did not leave")
	}
}

// TestLSDNeverPrivate: a private torrent is never announced (BEP 27), and
// one that turns out private stops taking LAN peers and leaves.
func TestLSDNeverPrivate(t *testing.T) {
	tor, f, _ := lsdTorrent(t, true)
	tor.runLSD()
	assert.Empty(t, f.joins)

	tor, f, _ = lsdTorrent(t, false)
	tor.runLSD()
	require.Len(t, f.joins, 1)
	tor.private.Store(true)
	f.found <- netip.MustParseAddrPort("10.0.0.5:7000")
	select {
	case <-f.leaves:
	case <-time.After(5 * time.Second):
		t.Fatal("a private torrent stayed on LSD")
	}
	assert.Empty(t, tor.events, "no LAN peer for a private torrent")
}
