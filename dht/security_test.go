//go:build linux

package dht

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Addresses of the BEP 42 test, in its own network namespace: public
// ones (TEST-NET-2, not exempt) on loopback, beside the exempt private
// and loopback ones.
const (
	secOurs    = "198.51.100.1"
	secSpoofed = "198.51.100.2"
	secHonest  = "198.51.100.3"
	secHonest2 = "198.51.100.4"
)

// pingFrom sends a KRPC ping to node from a socket on ip with the given
// node ID and waits for the answer (so the node has handled the query).
func pingFrom(t *testing.T, node netip.AddrPort, ip string, id krpc.ID) {
	t.Helper()
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
	require.NoError(t, err)
	defer c.Close()
	q, err := bencode.Marshal(krpc.Msg{T: "pi", Y: "q", Q: "ping", A: &krpc.MsgArgs{ID: id}})
	require.NoError(t, err)
	_, err = c.WriteTo(q, net.UDPAddrFromAddrPort(node))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	b := make([]byte, 1500)
	for {
		// The node may query us first (to check on a node it just met).
		k, _, err := c.ReadFrom(b)
		require.NoError(t, err, "no answer to the ping from %s", ip)
		var m krpc.Msg
		require.NoError(t, bencode.Unmarshal(b[:k], &m))
		if m.Y == "r" && m.T == "pi" {
			return
		}
	}
}

// insecureID is a random ID that BEP 42 refuses for ip, were ip not
// exempt.
func insecureID(t *testing.T, ip string) krpc.ID {
	pub := netip.MustParseAddr("198.51.100.9")
	if a := netip.MustParseAddr(ip); a.IsPrivate() || a.IsLoopback() {
		ip = pub.String() // exempt: any ID passes; pick one that would not
	}
	for {
		id := krpc.RandomNodeID()
		if !dht.NodeIdSecure(id, net.ParseIP(ip)) {
			return id
		}
	}
}

// tableHas reports which of the addresses the node's routing table holds.
func tableHas(n *Node) map[string]bool {
	has := map[string]bool{}
	for _, ni := range n.srv.Nodes() {
		has[ni.Addr.IP.String()] = true
	}
	return has
}

// TestBEP42NodeIDSecurity: a node at a public address whose ID does not
// match its IP (a spoofed ID) never joins the routing table; one whose ID
// was made for its IP does, and so do nodes at private and loopback
// addresses whatever their ID (BEP 42's exemption). With NoSecurity the
// spoofed one gets in (the check is what keeps it out). Our own ID on a
// public address is made secure for it. It runs in a network namespace
// of its own, where the public addresses live on loopback.
func TestBEP42NodeIDSecurity(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	for _, ip := range []string{secOurs, secSpoofed, secHonest} {
		out, err := exec.Command("ip", "addr", "add", ip+"/32", "dev", "lo").CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	n := newTestNode(t, Config{Addr: secOurs + ":0"})
	assert.True(t, dht.NodeIdSecure(n.ID(), net.ParseIP(secOurs)), "our ID %x is not secure for %s", n.ID(), secOurs)

	honest := krpc.RandomNodeID()
	dht.SecureNodeId(&honest, net.ParseIP(secHonest))
	pingFrom(t, n.Addr(), secSpoofed, insecureID(t, secSpoofed))
	pingFrom(t, n.Addr(), secHonest, honest)
	pingFrom(t, n.Addr(), netnstest.Addr4, insecureID(t, netnstest.Addr4)) // 10.99.0.1: private
	pingFrom(t, n.Addr(), "127.0.0.1", insecureID(t, "127.0.0.1"))
	has := tableHas(n)
	assert.False(t, has[secSpoofed], "a node with a spoofed ID joined the table: %v", has)
	assert.True(t, has[secHonest], "a node with a secure ID was left out: %v", has)
	assert.True(t, has[netnstest.Addr4], "a private address is exempt: %v", has)
	assert.True(t, has["127.0.0.1"], "loopback is exempt: %v", has)

	// The same spoofed node, to a node without the check.
	open := newTestNode(t, Config{Addr: secOurs + ":0", NoSecurity: true})
	pingFrom(t, open.Addr(), secSpoofed, insecureID(t, secSpoofed))
	assert.True(t, tableHas(open)[secSpoofed], "without BEP 42 the spoofed node joins")
}

// TestSecureOwnID: only a specific public address makes our ID secure.
func TestSecureOwnID(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		secure bool
	}{{"198.51.100.7", true}, {"2001:db8::7", true}, {"10.1.2.3", false}, {"0.0.0.0", false}, {"127.0.0.1", false}} {
		id := insecureID(t, "198.51.100.7")
		id2 := insecureID(t, "2001:db8::7")
		if tc.ip == "2001:db8::7" {
			id = id2
		}
		before := id
		secureOwnID(&id, &net.UDPAddr{IP: net.ParseIP(tc.ip), Port: 6881})
		if tc.secure {
			assert.True(t, dht.NodeIdSecure(id, net.ParseIP(tc.ip)), tc.ip)
			assert.Equal(t, before[3:], id[3:], "only the first bytes change")
		} else {
			assert.Equal(t, before, id, tc.ip)
		}
	}
}

// fakeNode answers every KRPC query from its socket with its ID and the
// nodes given, and counts the queries it got.
type fakeNode struct {
	conn  net.PacketConn
	id    krpc.ID
	nodes krpc.CompactIPv4NodeInfo
	got   chan string // the query names, as they come
}

func startFakeNode(t *testing.T, ip string, id krpc.ID) *fakeNode {
	t.Helper()
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
	require.NoError(t, err)
	f := &fakeNode{conn: c, id: id, got: make(chan string, 100)}
	t.Cleanup(func() { _ = c.Close() })
	return f
}

func (f *fakeNode) serve() {
	b := make([]byte, 1500)
	for {
		k, from, err := f.conn.ReadFrom(b)
		if err != nil {
			return
		}
		var m krpc.Msg
		if bencode.Unmarshal(b[:k], &m) != nil || m.Y != "q" {
			continue
		}
		select {
		case f.got <- m.Q:
		default:
		}
		r, _ := bencode.Marshal(krpc.Msg{T: m.T, Y: "r", R: &krpc.Return{ID: f.id, Nodes: f.nodes}})
		_, _ = f.conn.WriteTo(r, from)
	}
}

func (f *fakeNode) info() krpc.NodeInfo {
	ua := f.conn.LocalAddr().(*net.UDPAddr)
	return krpc.NodeInfo{ID: f.id, Addr: krpc.NodeAddr{IP: ua.IP.To4(), Port: ua.Port}}
}

// TestBEP42LookupSkipsSpoofedNodes: nodes a lookup hears of whose IDs do
// not match their IPs are never asked; a node with a secure ID in the
// same answer is. Without the check both are asked.
func TestBEP42LookupSkipsSpoofedNodes(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	for _, ip := range []string{secOurs, secSpoofed, secHonest, secHonest2} {
		out, err := exec.Command("ip", "addr", "add", ip+"/32", "dev", "lo").CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	for _, noSecurity := range []bool{false, true} {
		secure := func(ip string) krpc.ID {
			id := krpc.RandomNodeID()
			dht.SecureNodeId(&id, net.ParseIP(ip))
			return id
		}
		spoofed := startFakeNode(t, secSpoofed, insecureID(t, secSpoofed))
		other := startFakeNode(t, secHonest2, secure(secHonest2))
		honest := startFakeNode(t, secHonest, secure(secHonest))
		honest.nodes = krpc.CompactIPv4NodeInfo{spoofed.info(), other.info()}
		for _, f := range []*fakeNode{spoofed, other, honest} {
			go f.serve()
		}
		n := newTestNode(t, Config{Addr: secOurs + ":0", NoSecurity: noSecurity})
		require.NoError(t, n.AddNode(honest.conn.LocalAddr().String()))
		require.Eventually(t, func() bool { return tableHas(n)[secHonest] }, 5*time.Second, 10*time.Millisecond)

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		ch, err := n.GetPeers(ctx, [20]byte{0x42})
		require.NoError(t, err)
		for range ch {
		}
		cancel()
		assert.NotEmpty(t, other.got, "noSecurity=%v: the node with a secure ID was not asked", noSecurity)
		if noSecurity {
			assert.NotEmpty(t, spoofed.got, "without BEP 42 the spoofed node is asked")
		} else {
			assert.Empty(t, spoofed.got, "a node with a spoofed ID was asked")
		}
	}
}
