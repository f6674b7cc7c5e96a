package peers

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBlockedRefusedAndForgotten(t *testing.T) {
	block := map[netip.Addr]bool{netip.MustParseAddr("10.0.0.2"): true}
	var asked []netip.Addr
	b := New(Config{Self: self, Blocked: func(a netip.Addr) bool {
		asked = append(asked, a)
		return block[a]
	}})
	assert.False(t, b.Add("10.0.0.2:6881", FromTracker, t0), "blocked")
	assert.False(t, b.Add("utp://10.0.0.2:6881", FromPEX, t0), "blocked over uTP too")
	assert.False(t, b.Add("[::ffff:10.0.0.2]:6881", FromUser, t0), "IPv4-mapped, even named")
	assert.True(t, b.Add("10.0.0.1:6881", FromTracker, t0))
	assert.True(t, b.Add("10.0.0.3:6881", FromUser, t0))
	assert.True(t, b.Add("ws://peer.example:8000/", FromUser, t0), "a host name is not asked about")
	assert.True(t, b.Add("webrtc:abc", FromTracker, t0))
	assert.NotContains(t, asked, netip.Addr{})
	assert.Contains(t, asked, netip.MustParseAddr("10.0.0.2"), "mapped address asked as IPv4")

	// The list changes: a known candidate now blocked is never dialled.
	block[netip.MustParseAddr("10.0.0.3")] = true
	dials := b.Dials(t0, 10)
	assert.ElementsMatch(t, []string{"10.0.0.1:6881", "ws://peer.example:8000/", "webrtc:abc"}, dials)
	_, ok := b.Candidate("10.0.0.3:6881")
	assert.False(t, ok, "a named candidate now blocked is forgotten")

	// A dial that found a blocked IP behind a name forgets it.
	b.DialFailed("ws://peer.example:8000/", DialBlocked, t0.Add(time.Second))
	_, ok = b.Candidate("ws://peer.example:8000/")
	assert.False(t, ok)
	b.DialFailed("10.0.0.1:6881", DialError, t0.Add(time.Second))
	_, ok = b.Candidate("10.0.0.1:6881")
	assert.True(t, ok, "an ordinary failure backs off")
}
