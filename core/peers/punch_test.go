package peers

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A relay's connect message dials at once, even a candidate backing off,
// but never twice, never a connected address, banned or blocked host, and
// never past MaxPeers.
func TestPunch(t *testing.T) {
	b := New(Config{Self: self, MaxPeers: 3, Blocked: func(ip netip.Addr) bool { return ip == netip.MustParseAddr("10.9.9.9") }})
	const plain, viaUTP = "10.0.0.2:6881", "utp://10.0.0.2:6881"
	b.Add(plain, FromPEX, t0)
	require.Equal(t, []string{plain}, b.Dials(t0, 5))
	assert.False(t, b.Punch(viaUTP, t0), "the plain address is being dialled")
	b.DialFailed(plain, DialError, t0)
	require.Greater(t, cand(t, b, plain).Due, t0, "backing off")

	require.True(t, b.Punch(viaUTP, t0), "a punch ignores the back-off")
	assert.Equal(t, FromHolepunch, cand(t, b, viaUTP).Source)
	assert.Equal(t, 1, b.NumDialing())
	assert.False(t, b.Punch(viaUTP, t0), "in flight")
	assert.Empty(t, b.Dials(t0, 5), "Dials does not hand it out again")
	v := b.Connected(Conn{ID: 1, Addr: viaUTP, PeerID: [20]byte{7}, Outgoing: true, Initiator: true}, 5, t0)
	require.True(t, v.Accept)
	assert.Equal(t, 0, b.NumDialing())
	assert.False(t, b.Punch(viaUTP, t0), "connected")

	b.Ban("10.0.0.3")
	assert.False(t, b.Punch("utp://10.0.0.3:1", t0), "banned")
	assert.False(t, b.Punch("utp://10.9.9.9:1", t0), "blocked")
	assert.True(t, b.Punch("utp://10.0.0.4:1", t0))
	assert.True(t, b.Punch("utp://10.0.0.5:1", t0))
	assert.False(t, b.Punch("utp://10.0.0.6:1", t0), "MaxPeers")
	b.DialFailed("utp://10.0.0.5:1", DialError, t0)
	assert.Equal(t, 1, b.NumDialing())
	b.Halt()
	assert.False(t, b.Punch("utp://10.0.0.7:1", t0))
}
