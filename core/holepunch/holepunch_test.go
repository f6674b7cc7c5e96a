package holepunch

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Unix(1_700_000_000, 0)

func TestRendezvousNeedsAnIntroducerAndIsPaced(t *testing.T) {
	s := New()
	b := netip.MustParseAddrPort("10.0.0.2:6881")
	_, ok := s.Rendezvous(b, t0)
	assert.False(t, ok, "nobody introduced it")

	s.Introduced(7, netip.MustParseAddrPort("[::ffff:10.0.0.2]:6881"))
	via, ok := s.Rendezvous(b, t0)
	assert.True(t, ok)
	assert.Equal(t, 7, via)
	_, ok = s.Rendezvous(b, t0.Add(AskEvery-time.Second))
	assert.False(t, ok, "asked already")
	s.Introduced(9, b)
	via, ok = s.Rendezvous(b, t0.Add(AskEvery))
	assert.True(t, ok)
	assert.Equal(t, 9, via, "the latest introducer")

	s.PeerGone(9)
	_, ok = s.Rendezvous(b, t0.Add(3*AskEvery))
	assert.False(t, ok, "its introducer left")
}

func TestIntroducedIsBounded(t *testing.T) {
	s := New()
	for i := range MaxIntroduced + 10 {
		s.Introduced(1, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1))
	}
	assert.Len(t, s.intro, MaxIntroduced)
	assert.Len(t, s.order, MaxIntroduced)
	_, ok := s.Rendezvous(netip.MustParseAddrPort("10.0.0.0:1"), t0)
	assert.False(t, ok, "the oldest was forgotten")
	_, ok = s.Rendezvous(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 7, 0xd9}), 1), t0)
	assert.True(t, ok)
}

// Each peer gets Burst relays (and, separately, connects) at once, then
// one per Refill.
func TestRatesPerPeer(t *testing.T) {
	s := New()
	for range Burst {
		assert.True(t, s.AllowRelay(1, t0))
	}
	assert.False(t, s.AllowRelay(1, t0))
	assert.True(t, s.AllowRelay(2, t0), "another peer has its own budget")
	assert.True(t, s.AllowConnect(1, t0), "connects are counted apart")
	assert.False(t, s.AllowRelay(1, t0.Add(Refill/2)))
	assert.True(t, s.AllowRelay(1, t0.Add(Refill)))
	assert.False(t, s.AllowRelay(1, t0.Add(Refill)))
	s.PeerGone(1)
	assert.True(t, s.AllowRelay(1, t0.Add(Refill)), "a new connection with a reused id starts afresh")
}
