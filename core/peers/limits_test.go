package peers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A peer left because both sides were complete is dialled again at once
// once the torrent wants pieces again; one that was lost keeps its wait.
func TestWantingRedialsSeeds(t *testing.T) {
	b := New(Config{Self: self})
	const seed, lost = "10.0.0.1:6881", "10.0.0.2:6881"
	b.Add(seed, FromTracker, t0)
	b.Add(lost, FromTracker, t0)
	d := b.Dials(t0, 10)
	require.Len(t, d, 2)
	for i, a := range d {
		id := ConnID(i + 1)
		require.True(t, b.Connected(Conn{ID: id, Addr: a, PeerID: [20]byte{byte(10 + i)}, Outgoing: true, Initiator: true}, 10, t0).Accept)
		end := Lost
		if a == seed {
			end = BothSeeds
		}
		b.Closed(id, end, t0)
	}
	now := t0.Add(closedWait / 2)
	assert.Empty(t, b.Dials(now, 10))
	b.Wanting(now)
	assert.Equal(t, []string{seed}, b.Dials(now, 10))
	b.Wanting(now)
	assert.Equal(t, now.Add(inFlightWait), cand(t, b, seed).Due, "Wanting moves a seed once")
}

// SetMaxPeers caps dials and accepted connections from then on; a value
// <= 0 restores the default.
func TestSetMaxPeers(t *testing.T) {
	b := New(Config{Self: self})
	for _, a := range []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"} {
		b.Add(a, FromTracker, t0)
	}
	b.SetMaxPeers(1)
	assert.Equal(t, 1, b.MaxPeers())
	d := b.Dials(t0, 10)
	require.Len(t, d, 1)
	v := b.Connected(Conn{ID: 1, Addr: d[0], PeerID: [20]byte{7}, Outgoing: true, Initiator: true}, 10, t0)
	require.True(t, v.Accept, "%v", v.Reason)
	assert.Empty(t, b.Dials(t0, 10))
	v = b.Connected(Conn{ID: 2, Addr: "10.0.0.9:5", PeerID: [20]byte{8}}, 10, t0)
	assert.False(t, v.Accept, "an incoming connection beyond the cap")
	b.SetMaxPeers(0)
	assert.Equal(t, DefaultMaxPeers, b.MaxPeers())
	assert.Len(t, b.Dials(t0, 10), 2)
}
