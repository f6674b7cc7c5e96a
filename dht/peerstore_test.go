//go:build !js

package dht

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestStore() (*peerStore, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	return newPeerStore(c.now, rand.New(rand.NewPCG(1, 2))), c
}

func nodeAddr(a, b byte, port int) krpc.NodeAddr {
	return krpc.NodeAddr{IP: net.IPv4(10, 0, a, b), Port: port}
}

func TestPeerStoreKeepsPortsApartAndDropsJunk(t *testing.T) {
	ps, _ := newTestStore()
	ih := infoHash("a")
	ps.AddPeer(ih, nodeAddr(0, 1, 1000))
	ps.AddPeer(ih, nodeAddr(0, 1, 1001)) // same IP, other port: another peer
	ps.AddPeer(ih, nodeAddr(0, 1, 1000)) // refresh
	ps.AddPeer(ih, nodeAddr(0, 2, 0))
	ps.AddPeer(ih, krpc.NodeAddr{IP: net.IPv4zero, Port: 5})
	ps.AddPeer(ih, krpc.NodeAddr{IP: net.IP{1, 2}, Port: 5})
	got := ps.peers(ih, 100)
	assert.ElementsMatch(t, []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.1:1001"),
	}, got)
	hashes, peers := ps.counts()
	assert.Equal(t, 1, hashes)
	assert.Equal(t, 2, peers)
	assert.Len(t, ps.GetPeers(ih), 2)
	assert.Empty(t, ps.GetPeers(infoHash("unknown")))
}

func TestPeerStoreBounds(t *testing.T) {
	ps, clock := newTestStore()
	ih := infoHash("full")
	for i := range maxPeersPerInfoHash + 20 {
		clock.t = clock.t.Add(time.Second)
		ps.AddPeer(ih, nodeAddr(byte(i>>8), byte(i), 6881))
	}
	all := ps.peers(ih, 1000)
	require.Len(t, all, maxPeersPerInfoHash)
	assert.NotContains(t, all, netip.MustParseAddrPort("10.0.0.0:6881"), "the stalest went first")
	assert.Contains(t, all, netip.MustParseAddrPort("10.0.0.119:6881"))
	assert.Len(t, ps.GetPeers(ih), maxPeersPerReply)

	for i := range maxStoredInfoHashes + 10 {
		clock.t = clock.t.Add(time.Millisecond)
		var h [20]byte
		h[0], h[1], h[2] = 'x', byte(i>>8), byte(i)
		ps.AddPeer(h, nodeAddr(1, 1, 1))
	}
	hashes, peers := ps.counts()
	assert.Equal(t, maxStoredInfoHashes, hashes)
	assert.Equal(t, maxStoredInfoHashes, peers, "the oldest swarm (%x) was dropped whole", ih)
	assert.Empty(t, ps.peers(ih, 10))
}

func TestPeerStoreExpires(t *testing.T) {
	ps, clock := newTestStore()
	ih := infoHash("old")
	ps.AddPeer(ih, nodeAddr(0, 1, 1))
	clock.t = clock.t.Add(peerTTL / 2)
	ps.AddPeer(ih, nodeAddr(0, 2, 2))
	clock.t = clock.t.Add(peerTTL/2 + time.Second)
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:2")}, ps.peers(ih, 10))
	clock.t = clock.t.Add(peerTTL)
	assert.Empty(t, ps.peers(ih, 10))
	hashes, peers := ps.counts()
	assert.Zero(t, hashes)
	assert.Zero(t, peers)
}
