package peers

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

var self = [20]byte{1}

// ipAddr is the i-th distinct test address, 10.0.x.y:6881.
func ipAddr(i int) string { return fmt.Sprintf("10.0.%d.%d:6881", i>>8, i&0xff) }

func cand(t *testing.T, b *Book, addr string) Candidate {
	t.Helper()
	c, ok := b.Candidate(addr)
	require.True(t, ok, "%s is a candidate", addr)
	return c
}

func TestAddRemembersOnceAndCaps(t *testing.T) {
	b := New(Config{Self: self, MaxCandidates: 3})
	assert.True(t, b.Add("10.0.0.1:6881", FromTracker, t0))
	assert.False(t, b.Add("10.0.0.1:6881", FromPEX, t0.Add(time.Second)), "known")
	c := cand(t, b, "10.0.0.1:6881")
	assert.Equal(t, FromTracker, c.Source, "the first source stays")
	assert.Equal(t, t0, c.Due, "due when first added")

	assert.True(t, b.Add("10.0.0.2:6881", FromDHT, t0))
	assert.True(t, b.Add("10.0.0.3:6881", FromListenPort, t0))
	assert.False(t, b.Add("10.0.0.4:6881", FromPEX, t0), "the book is full")
	assert.True(t, b.Add("10.0.0.5:6881", FromUser, t0), "a named peer is kept beyond the cap")
	assert.Equal(t, 4, b.NumCandidates())
	assert.True(t, cand(t, b, "10.0.0.5:6881").Named)

	assert.False(t, b.Add("10.0.0.2:6881", FromUser, t0), "not new")
	assert.True(t, cand(t, b, "10.0.0.2:6881").Named, "naming a known address makes it named")
	assert.Equal(t, FromUser, cand(t, b, "10.0.0.2:6881").Source)
}

func TestDefaults(t *testing.T) {
	b := New(Config{Self: self})
	for i := range DefaultMaxCandidates + 10 {
		b.Add(ipAddr(i), FromTracker, t0)
	}
	assert.Equal(t, DefaultMaxCandidates, b.NumCandidates())
	assert.Len(t, b.Dials(t0, 1000), DefaultMaxPeers)
}

func TestBanForgetsAndRefusesTheHost(t *testing.T) {
	b := New(Config{Self: self})
	for _, a := range []string{"10.0.0.1:6881", "10.0.0.1:7000", "utp://10.0.0.1:6881", "[::ffff:10.0.0.1]:1", "10.0.0.2:6881"} {
		require.True(t, b.Add(a, FromTracker, t0), a)
	}
	require.True(t, b.Add("10.0.0.1:8000", FromUser, t0))
	b.Ban(HostOf("10.0.0.1:50000"))
	assert.True(t, b.Banned("10.0.0.1"))
	assert.False(t, b.Banned("10.0.0.2"))
	assert.Equal(t, 1, b.NumCandidates(), "every address of the host is forgotten, named or not")
	_, ok := b.Candidate("10.0.0.2:6881")
	assert.True(t, ok)
	assert.False(t, b.Add("10.0.0.1:9000", FromPEX, t0))
	assert.False(t, b.Add("10.0.0.1:9000", FromUser, t0), "naming a banned host does not unban it")
	assert.Equal(t, []string{"10.0.0.2:6881"}, b.Dials(t0, 10))
}

func TestAddListenPort(t *testing.T) {
	b := New(Config{Self: self})
	assert.True(t, b.AddListenPort("10.0.0.1:50123", 6881, t0))
	assert.Equal(t, FromListenPort, cand(t, b, "10.0.0.1:6881").Source)
	assert.True(t, b.AddListenPort("[2001:db8::1]:50123", 6882, t0))
	cand(t, b, "[2001:db8::1]:6882")
	for _, port := range []int{0, -1, 65536} {
		assert.False(t, b.AddListenPort("10.0.0.2:50123", port, t0), "port %d", port)
	}
	assert.False(t, b.AddListenPort("webrtc:0102", 6881, t0), "no IP to dial")
	assert.False(t, b.AddListenPort("ws://10.0.0.3:80/", 6881, t0), "no IP to dial")
	assert.Equal(t, 2, b.NumCandidates())
}

func TestSourceNames(t *testing.T) {
	for s, want := range map[Source]string{
		FromTracker: "tracker", FromDHT: "dht", FromPEX: "pex", FromUser: "user", FromListenPort: "listen port", 0: "unknown",
	} {
		assert.Equal(t, want, s.String())
	}
}
