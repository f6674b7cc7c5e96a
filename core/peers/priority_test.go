package peers

import (
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func crcOf(t *testing.T, hexBytes string) uint32 {
	b, err := hex.DecodeString(hexBytes)
	require.NoError(t, err)
	return crc32.Checksum(b, castagnoli)
}

// The vectors are BEP 40's own and libtorrent's (test_peer_priority.cpp),
// so Braid ranks connections as libtorrent does.
func TestPriorityVectors(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		a, b string
		want uint32
	}{
		{"123.213.32.10:0", "98.76.54.32:0", 0xec2d7224},
		{"123.213.32.10:0", "123.213.32.234:0", 0x99568189},
		{"230.12.123.3:1234", "230.12.123.1:300", crcOf(t, "e60c7b01e60c7b03")}, // same /24: unmasked
		{"230.12.23.1:1234", "230.12.123.3:300", crcOf(t, "e60c1701e60c7b01")},  // same /16: FF.FF.FF.55
		{"230.120.23.1:1234", "230.12.123.3:300", crcOf(t, "e60c5101e6781501")}, // FF.FF.55.55
		{"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1234", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:300", crcOf(t, "012c04d2")},
		{"1.2.3.4:1234", "1.2.3.4:300", crcOf(t, "012c04d2")}, // same IP: the ports, lowest first
		{"[::ffff:1.2.3.4]:1234", "1.2.3.4:300", crcOf(t, "012c04d2")},
	}
	for _, c := range cases {
		got, ok := Priority(ap(c.a), ap(c.b))
		require.True(t, ok, c.a)
		assert.Equal(t, fmt.Sprintf("%08x", c.want), fmt.Sprintf("%08x", got), "%s %s", c.a, c.b)
		back, _ := Priority(ap(c.b), ap(c.a))
		assert.Equal(t, got, back, "symmetric: %s %s", c.a, c.b)
	}
	// IPv6 across /32s: the first 64 bits masked FFFF:FFFF:5555:5555, the
	// low 64 kept.
	const a6 = "[2001:db8:1:2:3:4:5:6]:1"
	got, ok := Priority(ap(a6), ap("[2a00:1:ffff:ffff::1]:2"))
	require.True(t, ok)
	assert.Equal(t, crcOf(t, "20010db8000100000003000400050006"+"2a000001555555550000000000000001"), got)
	// Within a /32 16 bits more are kept; within a /48, all 64.
	got, _ = Priority(ap(a6), ap("[2001:db8:ffff:ffff::1]:2"))
	assert.Equal(t, crcOf(t, "20010db8000100000003000400050006"+"20010db8ffff55550000000000000001"), got)
	got, _ = Priority(ap(a6), ap("[2001:db8:1:ffff::1]:2"))
	assert.Equal(t, crcOf(t, "20010db8000100020003000400050006"+"20010db80001ffff0000000000000001"), got)

	_, ok = Priority(ap("1.2.3.4:1"), ap("[2001:db8::1]:1"))
	assert.False(t, ok, "different families have no rank")
	_, ok = Priority(netip.AddrPort{}, ap("1.2.3.4:1"))
	assert.False(t, ok)
}

// With our address known, candidates due together are dialled highest
// rank first; user-named ones still come first, and before SetSelf the
// order is arrival.
func TestDialOrderByRank(t *testing.T) {
	addrs := []string{"98.76.54.32:6881", "123.213.32.234:6881", "8.8.4.4:6881", "200.1.2.3:6881", "123.213.99.1:6881"}
	me := netip.MustParseAddrPort("123.213.32.10:6881")
	b := New(Config{Self: self})
	for _, a := range addrs {
		b.Add(a, FromTracker, t0)
	}
	assert.Equal(t, addrs, b.Dials(t0, 10), "arrival order before SetSelf")

	b = New(Config{Self: self})
	b.SetSelf(me)
	b.Add("10.0.0.1:1", FromUser, t0)
	for _, a := range addrs {
		b.Add(a, FromTracker, t0)
	}
	got := b.Dials(t0, 10)
	require.Len(t, got, 6)
	assert.Equal(t, "10.0.0.1:1", got[0], "named first")
	for i := 2; i < len(got); i++ {
		p1, _ := Priority(me, netip.MustParseAddrPort(got[i-1]))
		p2, _ := Priority(me, netip.MustParseAddrPort(got[i]))
		assert.Greater(t, p1, p2, "rank order: %v", got)
	}
}

// A full book makes room for an incoming connection that outranks its
// lowest-ranked connection, never for one that does not, never at the
// cost of a user-named peer, and only once it knows our address.
func TestEvictLowestRank(t *testing.T) {
	me := netip.MustParseAddrPort("123.213.32.10:6881")
	pool := []string{"98.76.54.32:6881", "123.213.32.234:6881", "8.8.4.4:6881", "200.1.2.3:6881", "123.213.99.1:6881", "77.1.2.3:9", "5.6.7.8:10"}
	rank := func(a string) uint32 {
		p, _ := Priority(me, netip.MustParseAddrPort(a))
		return p
	}
	// The three lowest-ranked fill the book; the best of the rest knocks.
	sorted := append([]string(nil), pool...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if rank(sorted[j]) < rank(sorted[i]) {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	lower, low, high := sorted[0], sorted[1:4], sorted[len(sorted)-1]

	connect := func(b *Book, id ConnID, addr string) Verdict {
		return b.Connected(Conn{ID: id, Addr: addr, PeerID: [20]byte{9, byte(id)}}, 10, t0)
	}
	b := New(Config{Self: self, MaxPeers: 3})
	for i, a := range low {
		require.True(t, connect(b, ConnID(i+1), a).Accept)
	}
	v := connect(b, 9, high)
	assert.Equal(t, ErrFull, v.Reason, "no rank before SetSelf")

	b.SetSelf(me)
	v = connect(b, 10, lower)
	assert.Equal(t, ErrFull, v.Reason, "below the lowest: refused")
	v = connect(b, 11, high)
	require.True(t, v.Accept)
	assert.True(t, v.Replaces)
	assert.True(t, v.Evicts)
	assert.Equal(t, ConnID(1), v.Old, "the lowest-ranked goes")
	assert.Equal(t, 3, b.NumConns())
	b.Closed(1, Lost, t0) // the caller closes it: already forgotten
	assert.Equal(t, 3, b.NumConns())

	// A user-named peer is kept even when it ranks lowest.
	b = New(Config{Self: self, MaxPeers: 1})
	b.SetSelf(me)
	b.Add(low[0], FromUser, t0)
	require.Equal(t, []string{low[0]}, b.Dials(t0, 1))
	require.True(t, b.Connected(Conn{ID: 1, Addr: low[0], PeerID: [20]byte{9, 1}, Outgoing: true, Initiator: true}, 10, t0).Accept)
	assert.Equal(t, ErrFull, connect(b, 2, high).Reason)
}

// Our own address, once known, is never a candidate: peers name it in PEX,
// and where nothing lets a connection in, a dial to it only times out.
func TestSelfIsNoCandidate(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("127.0.0.1:6881", FromPEX, t0)
	b.Add("utp://127.0.0.1:6881", FromPEX, t0)
	b.Add("127.0.0.1:6882", FromPEX, t0)
	b.SetSelf(netip.MustParseAddrPort("[::ffff:127.0.0.1]:6881"))
	assert.Equal(t, 1, b.NumCandidates())
	assert.False(t, b.Add("127.0.0.1:6881", FromPEX, t0))
	assert.Equal(t, []string{"127.0.0.1:6882"}, b.Dials(t0, 5))
}
