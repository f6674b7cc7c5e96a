package pex

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func addr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// addrs returns n distinct IPv4 peers starting at 10.0.first/256.first%256.
func addrs(first, n int) []netip.AddrPort {
	out := make([]netip.AddrPort, n)
	for i := range out {
		k := first + i
		out[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(k >> 8), byte(k)}), 6881)
	}
	return out
}

func TestOutboxDiffs(t *testing.T) {
	o := NewOutbox()
	a, b, c := addr("1.1.1.1:1"), addr("[2001:db8::2]:2"), addr("3.3.3.3:3")

	m, ok := o.Message(7, []netip.AddrPort{a, b}, nil, t0)
	require.True(t, ok, "the first message goes at once")
	assert.Equal(t, []netip.AddrPort{a, b}, m.Added)
	assert.Equal(t, []byte{0, 0}, m.AddedFlags)
	assert.Empty(t, m.Dropped)

	_, ok = o.Message(7, []netip.AddrPort{a, c}, nil, t0.Add(SendInterval-time.Nanosecond))
	assert.False(t, ok, "too soon")

	m, ok = o.Message(7, []netip.AddrPort{a, c}, nil, t0.Add(SendInterval))
	require.True(t, ok)
	assert.Equal(t, []netip.AddrPort{c}, m.Added)
	assert.Equal(t, []netip.AddrPort{b}, m.Dropped)

	_, ok = o.Message(7, []netip.AddrPort{c, a}, nil, t0.Add(3*SendInterval))
	assert.False(t, ok, "nothing new")
	m, ok = o.Message(7, nil, nil, t0.Add(3*SendInterval))
	require.True(t, ok, "a quiet minute does not delay the next change")
	assert.Empty(t, m.Added)
	assert.Equal(t, []netip.AddrPort{a, c}, m.Dropped, "sorted")
}

func TestOutboxPerPeerAndForget(t *testing.T) {
	o := NewOutbox()
	list := addrs(0, 3)
	_, ok := o.Message(1, nil, nil, t0)
	require.False(t, ok, "nothing to say")
	m, ok := o.Message(1, list, nil, t0.Add(time.Second))
	require.True(t, ok, "an empty first call does not start the clock")
	assert.Len(t, m.Added, 3)

	m, ok = o.Message(2, list, nil, t0.Add(time.Second))
	require.True(t, ok, "each peer has its own view")
	assert.Len(t, m.Added, 3)

	o.Forget(1)
	m, ok = o.Message(1, list, nil, t0.Add(2*time.Second))
	require.True(t, ok, "a forgotten peer starts over")
	assert.Equal(t, list, m.Added)
}

func TestOutboxCaps(t *testing.T) {
	o := NewOutbox()
	first := addrs(0, 120)
	var got []netip.AddrPort
	now := t0
	for i := range 3 {
		m, ok := o.Message(1, first, nil, now)
		require.True(t, ok, "message %d", i)
		assert.LessOrEqual(t, len(m.Added), MaxAdded)
		got = append(got, m.Added...)
		now = now.Add(SendInterval)
	}
	assert.Equal(t, first, got, "the rest follows in order")
	_, ok := o.Message(1, first, nil, now)
	assert.False(t, ok)

	// All gone: drops come 50 at a time, sorted, alongside new adds.
	second := addrs(1000, 10)
	var dropped []netip.AddrPort
	for i := range 3 {
		m, ok := o.Message(1, second, nil, now)
		require.True(t, ok, "message %d", i)
		assert.LessOrEqual(t, len(m.Dropped), MaxDropped)
		assert.True(t, slices.IsSortedFunc(m.Dropped, netip.AddrPort.Compare))
		if i == 0 {
			assert.Equal(t, second, m.Added)
		} else {
			assert.Empty(t, m.Added)
		}
		dropped = append(dropped, m.Dropped...)
		now = now.Add(SendInterval)
	}
	assert.ElementsMatch(t, first, dropped)
}

func TestOutboxFilters(t *testing.T) {
	o := NewOutbox()
	in := []netip.AddrPort{
		addr("1.2.3.4:5"), addr("[::ffff:1.2.3.4]:5"), addr("1.2.3.4:5"), // one peer, three times
		addr("0.0.0.0:1"), addr("[::]:1"), addr("224.0.0.1:1"), addr("1.2.3.4:0"), {},
		addr("[fe80::1%eth0]:7"), addr("[fe80::1]:7"), addr("169.254.1.1:8"),
	}
	m, ok := o.Message(1, in, nil, t0)
	require.True(t, ok)
	assert.Equal(t, []netip.AddrPort{addr("1.2.3.4:5"), addr("169.254.1.1:8")}, m.Added)
}

// TestOutboxConverges replays random connection churn: applying every
// message to what the remote peer knows must leave it knowing exactly our
// connections once churn stops, and messages must keep their limits.
func TestOutboxConverges(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		o := NewOutbox()
		pool := addrs(0, 300)
		connected := map[netip.AddrPort]bool{}
		known := map[netip.AddrPort]bool{}
		now := t0
		apply := func(m wire.PEXMsg) {
			require.LessOrEqual(t, len(m.Added), MaxAdded)
			require.LessOrEqual(t, len(m.Dropped), MaxDropped)
			// Through the wire and back, as the peer would see it.
			m, err := wire.ParsePEX(wire.AppendPEX(nil, m))
			require.NoError(t, err)
			for _, ap := range m.Added {
				require.False(t, known[ap], "seed %d: %v told twice", seed, ap)
				known[ap] = true
			}
			for _, ap := range m.Dropped {
				require.True(t, known[ap], "seed %d: dropped %v never told", seed, ap)
				delete(known, ap)
			}
		}
		list := func() []netip.AddrPort {
			var l []netip.AddrPort
			for _, ap := range pool {
				if connected[ap] {
					l = append(l, ap)
				}
			}
			return l
		}
		for range 100 {
			for range r.IntN(40) {
				ap := pool[r.IntN(len(pool))]
				connected[ap] = !connected[ap]
			}
			if m, ok := o.Message(1, list(), nil, now); ok {
				apply(m)
			}
			now = now.Add(time.Duration(r.IntN(90)) * time.Second)
		}
		for range 20 {
			now = now.Add(SendInterval)
			if m, ok := o.Message(1, list(), nil, now); ok {
				apply(m)
			}
		}
		want := map[netip.AddrPort]bool{}
		for _, ap := range list() {
			want[ap] = true
		}
		require.Equal(t, want, known, "seed %d", seed)
	}
}

func TestInboxRate(t *testing.T) {
	in := NewInbox()
	m := wire.PEXMsg{Added: []netip.AddrPort{addr("1.1.1.1:1")}}
	assert.Len(t, in.Accept(1, m, t0), 1)
	assert.Nil(t, in.Accept(1, m, t0.Add(30*time.Second)), "too soon")
	assert.Len(t, in.Accept(2, m, t0.Add(30*time.Second)), 1, "per peer")
	assert.Len(t, in.Accept(1, m, t0.Add(AcceptInterval)), 1, "a dropped flood does not extend the wait")
	assert.Nil(t, in.Accept(1, m, t0), "time going backwards is too soon")
	in.Forget(1)
	assert.Len(t, in.Accept(1, m, t0.Add(AcceptInterval+time.Second)), 1)
}

func TestInboxFilters(t *testing.T) {
	in := NewInbox()
	m := wire.PEXMsg{
		Added: []netip.AddrPort{
			addr("1.2.3.4:5"), addr("[::ffff:1.2.3.4]:5"), addr("1.2.3.4:5"),
			addr("0.0.0.0:1"), addr("0.1.2.3:1"), addr("[::]:1"), addr("224.0.0.1:1"), addr("[ff02::1]:1"),
			addr("255.255.255.255:1"), addr("9.9.9.9:0"), {}, addr("[fe80::2]:1"),
			addr("127.0.0.1:6881"), addr("192.168.1.2:6881"), addr("[2001:db8::1]:6881"),
		},
		Dropped: []netip.AddrPort{addr("8.8.8.8:1")},
	}
	got := in.Accept(1, m, t0)
	assert.Equal(t, []netip.AddrPort{
		addr("1.2.3.4:5"), addr("127.0.0.1:6881"), addr("192.168.1.2:6881"), addr("[2001:db8::1]:6881"),
	}, got)
}

func TestInboxCap(t *testing.T) {
	in := NewInbox()
	bad := make([]netip.AddrPort, 30) // invalid entries do not use up the cap
	m := wire.PEXMsg{Added: append(bad, addrs(0, wire.MaxPEXPeers)...)}
	got := in.Accept(1, m, t0)
	assert.Equal(t, addrs(0, MaxAccepted), got)
}

func BenchmarkOutboxMessage(b *testing.B) {
	o := NewOutbox()
	a, c := addrs(0, 200), addrs(100, 200)
	now := t0
	for i := range b.N {
		list := a
		if i%2 == 1 {
			list = c
		}
		o.Message(i%50, list, nil, now)
		now = now.Add(SendInterval)
	}
}

func ExampleOutbox() {
	o := NewOutbox()
	m, _ := o.Message(1, []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:6881")}, nil, t0)
	fmt.Println(m.Added)
	_, ok := o.Message(1, nil, nil, t0.Add(time.Second))
	fmt.Println(ok)
	m, _ = o.Message(1, nil, nil, t0.Add(time.Minute))
	fmt.Println(m.Dropped)
	// Output:
	// [10.0.0.2:6881]
	// false
	// [10.0.0.2:6881]
}

// Flags travel with their addresses, past skipped and duplicate entries.
func TestOutboxFlags(t *testing.T) {
	o := NewOutbox()
	a, b, c := addr("1.1.1.1:1"), addr("2.2.2.2:2"), addr("3.3.3.3:3")
	bad := addr("0.0.0.0:0")
	m, ok := o.Message(1, []netip.AddrPort{bad, a, a, b, c}, []byte{0xff, wire.PEXUTP, 0, wire.PEXSeed | wire.PEXReachable}, t0)
	require.True(t, ok)
	assert.Equal(t, []netip.AddrPort{a, b, c}, m.Added)
	assert.Equal(t, []byte{wire.PEXUTP, wire.PEXSeed | wire.PEXReachable, 0}, m.AddedFlags, "c has no flags byte: zero")
}
