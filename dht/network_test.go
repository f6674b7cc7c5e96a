//go:build !js

package dht

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A local network of eight nodes: A announces, H (which knows only one
// other node) finds A; then H's saved table lets a fresh node find A with
// no bootstrap node at all.
func TestNetworkAnnounceGetPeersAndStateFile(t *testing.T) {
	nodes := newNetwork(t, 7)
	a, g := nodes[0], nodes[6]
	stateFile := filepath.Join(t.TempDir(), "dht.state")
	h := newTestNode(t, Config{BootstrapNodes: []string{g.Addr().String()}, StateFile: stateFile})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, h.Bootstrap(ctx))
	assert.Greater(t, h.Stats().GoodNodes, 1, "H learnt of nodes beyond its bootstrap node")

	ih := infoHash("braid dht test")
	ch, err := a.Announce(ctx, ih, 51413, false)
	require.NoError(t, err)
	collect(t, ch)
	assert.Positive(t, a.Stats().Announced, "some node accepted A's announce")
	assert.Empty(t, a.store.peers(ih, 10), "A did not announce to itself")

	ch, err = h.GetPeers(ctx, ih)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), loopback(51413))

	// implied_port: the peer port is the announcer's UDP source port.
	ih2 := infoHash("braid implied port")
	b := nodes[3]
	ch, err = b.Announce(ctx, ih2, 0, true)
	require.NoError(t, err)
	collect(t, ch)
	ch, err = h.GetPeers(ctx, ih2)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), b.Addr())

	hID := h.ID()
	require.NoError(t, h.Close())
	raw, err := os.ReadFile(stateFile)
	require.NoError(t, err)
	st, err := decodeState(raw)
	require.NoError(t, err)
	assert.Equal(t, hID, st.ID)
	assert.GreaterOrEqual(t, len(st.Nodes), 2)
	left, _ := filepath.Glob(stateFile + ".tmp-*")
	assert.Empty(t, left, "no temp file left behind")

	fresh := newTestNode(t, Config{StateFile: stateFile})
	assert.Equal(t, hID, fresh.ID(), "the node ID survives a restart")
	assert.Equal(t, len(st.Nodes), fresh.Stats().Nodes)
	ch, err = fresh.GetPeers(ctx, ih)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), loopback(51413))
}

// A corrupt state file is ignored, not fatal; an empty table does not
// overwrite the file.
func TestStateFileCorruptOrEmpty(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.state")
	require.NoError(t, os.WriteFile(corrupt, []byte("d5:nodesi"), 0o644))
	n := newTestNode(t, Config{StateFile: corrupt})
	assert.Zero(t, n.Stats().Nodes)
	require.NoError(t, n.Close())
	b, err := os.ReadFile(corrupt)
	require.NoError(t, err)
	assert.Equal(t, "d5:nodesi", string(b), "nothing learnt, nothing written")

	fresh := filepath.Join(dir, "fresh.state")
	n = newTestNode(t, Config{StateFile: fresh})
	require.NoError(t, n.Close())
	assert.NoFileExists(t, fresh)
}

// Closing every node (one with a lookup still running) brings the
// goroutine count back to where it was.
func TestCloseIsClean(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		nodes := newNetwork(t, 4)
		// A lookup into black holes runs ~20 s unless stopped.
		holes := blackHoles(t, 30)
		n := newTestNode(t, Config{BootstrapNodes: holes})
		ch, err := n.GetPeers(context.Background(), infoHash("close"))
		require.NoError(t, err)
		ch2, err := nodes[1].Announce(context.Background(), infoHash("close"), 1234, false)
		require.NoError(t, err)
		require.Greater(t, runtime.NumGoroutine(), before+10, "the nodes run goroutines to clean up")
		require.NoError(t, n.Close())
		require.NoError(t, n.Close(), "a second Close is harmless")
		for _, x := range nodes {
			require.NoError(t, x.Close())
		}
		for range ch {
		}
		for range ch2 {
		}
		_, err = n.GetPeers(context.Background(), infoHash("x"))
		require.ErrorIs(t, err, ErrClosed)
		require.ErrorIs(t, n.Bootstrap(context.Background()), ErrClosed)
		require.ErrorIs(t, n.AddNode("127.0.0.1:1"), ErrClosed)
	}()
	// The library lets a just-answered query's sender run out (2 s at most).
	var now int
	require.Eventually(t, func() bool {
		now = runtime.NumGoroutine()
		return now <= before+2
	}, 10*time.Second, 50*time.Millisecond, "goroutines: %d before, %d after", before, now)
}

// A lookup ends soon after its context is cancelled, even when the
// traversal would go on for long.
func TestLookupEndsWithContext(t *testing.T) {
	n := newTestNode(t, Config{BootstrapNodes: blackHoles(t, 30)})
	for _, announce := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		var ch <-chan []netip.AddrPort
		var err error
		if announce {
			ch, err = n.Announce(ctx, infoHash("ctx"), 6881, false)
		} else {
			ch, err = n.GetPeers(ctx, infoHash("ctx"))
		}
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		assert.Equal(t, 1, n.Stats().Lookups)
		cancel()
		closed := make(chan struct{})
		go func() {
			for range ch {
			}
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(10 * time.Second): // the traversal alone would need ~20 s
			t.Fatal("lookup still running after its context ended")
		}
		require.Eventually(t, func() bool { return n.Stats().Lookups == 0 }, 5*time.Second, 10*time.Millisecond)
	}
}

// AddNode pings a node learnt from a peer; once it answers it is in the
// table and lookups go through it.
func TestAddNode(t *testing.T) {
	nodes := newNetwork(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ih := infoHash("add node")
	ch, err := nodes[0].Announce(ctx, ih, 7000, false)
	require.NoError(t, err)
	collect(t, ch)

	x := newTestNode(t, Config{})
	_, err = x.GetPeers(ctx, ih)
	require.ErrorIs(t, err, ErrNoNodes, "nothing to ask yet")
	require.ErrorIs(t, x.Bootstrap(ctx), ErrNoNodes)
	require.NoError(t, x.AddNode(nodes[2].Addr().String()))
	require.Eventually(t, func() bool { return x.Stats().GoodNodes >= 1 }, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, x.Bootstrap(ctx))
	ch, err = x.GetPeers(ctx, ih)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), loopback(7000))

	for _, bad := range []string{"", "nonsense", "example.com:6881", "127.0.0.1:0", "0.0.0.0:6881", "[::1]:6881", "224.0.0.1:6881"} {
		assert.ErrorIs(t, x.AddNode(bad), ErrInvalidAddr, bad)
	}
}

func TestArgumentErrors(t *testing.T) {
	for _, boot := range []string{"nohost", "host:0", "host:65536", ":6881", "host:port"} {
		_, err := New(Config{Addr: "127.0.0.1:0", BootstrapNodes: []string{boot}})
		assert.ErrorIs(t, err, ErrInvalidAddr, boot)
	}
	_, err := New(Config{Addr: "no port"})
	assert.ErrorIs(t, err, ErrInvalidAddr)

	n := newTestNode(t, Config{BootstrapNodes: []string{"127.0.0.1:9"}})
	for _, port := range []int{0, -1, 65536} {
		_, err := n.Announce(context.Background(), infoHash("p"), port, false)
		assert.ErrorIs(t, err, ErrInvalidPort, "port %d", port)
	}
	_, err = n.Announce(context.Background(), infoHash("p"), 70000, true)
	assert.ErrorIs(t, err, ErrInvalidPort)
}

// The public routers are the fallback only when nothing else is given and
// NoBootstrap is off (this test does not contact them).
func TestBootstrapList(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"default", Config{}, DefaultBootstrapNodes},
		{"no bootstrap", Config{NoBootstrap: true}, nil},
		{"explicit", Config{BootstrapNodes: []string{"10.0.0.1:1"}}, []string{"10.0.0.1:1"}},
		{"explicit wins over NoBootstrap", Config{BootstrapNodes: []string{"10.0.0.1:1"}, NoBootstrap: true}, []string{"10.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{cfg: tt.cfg}
			assert.Equal(t, tt.want, n.bootstrapList())
		})
	}
	assert.ElementsMatch(t, []string{"router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"}, DefaultBootstrapNodes)
}

// An IPv6 node speaks to IPv6 nodes only (BEP 32: one DHT per family).
func TestIPv6Network(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	pc.Close()
	a := newTestNode(t, Config{Addr: "[::1]:0"})
	b := newTestNode(t, Config{Addr: "[::1]:0", BootstrapNodes: []string{a.Addr().String()}})
	c := newTestNode(t, Config{Addr: "[::1]:0", BootstrapNodes: []string{b.Addr().String()}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Bootstrap(ctx))
	require.NoError(t, c.Bootstrap(ctx))
	assert.ErrorIs(t, c.AddNode("127.0.0.1:6881"), ErrInvalidAddr, "an IPv4 node on an IPv6 DHT")
	// A has no bootstrap nodes: it learns B and C from their queries, which
	// the library adds to its table in the background.
	require.Eventually(t, func() bool { return a.Stats().Nodes >= 1 }, 30*time.Second, 10*time.Millisecond,
		"A never added the nodes that queried it")

	ih := infoHash("v6")
	ch, err := a.Announce(ctx, ih, 6881, false)
	require.NoError(t, err)
	collect(t, ch)
	// The announce_peer queries may still be in flight when the traversal
	// ends, so C asks again until a node has stored the peer.
	want := netip.MustParseAddrPort("[::1]:6881")
	require.Eventually(t, func() bool {
		ch, err := c.GetPeers(ctx, ih)
		return err == nil && slices.Contains(collect(t, ch), want)
	}, 20*time.Second, 100*time.Millisecond, "C never found the peer A announced")
}

// blackHoles binds UDP sockets that never answer, for lookups that must
// not end on their own.
func blackHoles(t *testing.T, count int) []string {
	t.Helper()
	var addrs []string
	for range count {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { pc.Close() })
		addrs = append(addrs, pc.LocalAddr().String())
	}
	return addrs
}

// sharedConn is a port another protocol owns: Close leaves it open.
type sharedConn struct {
	net.PacketConn
	closes int
}

func (s *sharedConn) Close() error { s.closes++; return nil }

// A node on a shared socket (uTP's port) works through it and leaves it
// open when it closes.
func TestSharedConn(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	shared := &sharedConn{PacketConn: pc}
	a := newTestNode(t, Config{Conn: shared})
	assert.Equal(t, pc.LocalAddr().String(), a.Addr().String())
	b := newTestNode(t, Config{BootstrapNodes: []string{pc.LocalAddr().String()}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Bootstrap(ctx), "B reached A through the shared socket")
	require.NoError(t, a.Close())
	assert.Equal(t, 1, shared.closes)
	_, err = pc.WriteTo([]byte("still open"), net.UDPAddrFromAddrPort(b.Addr()))
	assert.NoError(t, err, "the owner's socket outlives the node")
}
