package peers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDialOrder pins the order of dials: named first, then earliest due,
// then first added.
func TestDialOrder(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:1", FromTracker, t0)
	b.Add("10.0.0.2:1", FromDHT, t0)
	b.Add("10.0.0.3:1", FromPEX, t0)
	b.Add("10.0.0.9:1", FromUser, t0.Add(time.Second))
	b.Add("10.0.0.4:1", FromTracker, t0)
	assert.Equal(t, []string{"10.0.0.9:1", "10.0.0.1:1", "10.0.0.2:1"}, b.Dials(t0.Add(time.Second), 3))
	assert.Equal(t, 3, b.NumDialing())

	// A failure due 15 s later goes behind a candidate added before then,
	// ahead of one added after.
	b.DialFailed("10.0.0.1:1", DialError, t0.Add(2*time.Second)) // due t0+17s
	b.Add("10.0.0.5:1", FromPEX, t0.Add(10*time.Second))
	b.Add("10.0.0.6:1", FromPEX, t0.Add(20*time.Second))
	assert.Equal(t, []string{"10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1", "10.0.0.1:1", "10.0.0.6:1"},
		b.Dials(t0.Add(20*time.Second), 10))
	assert.Empty(t, b.Dials(t0.Add(30*time.Second), 10), "all in flight")
}

// TestDialsIsDeterministic feeds two books the same calls: Go's map order
// must not show.
func TestDialsIsDeterministic(t *testing.T) {
	run := func() [][]string {
		b := New(Config{Self: self, MaxPeers: 500})
		var out [][]string
		for i := range 300 {
			b.Add(ipAddr(i), Source(1+i%4), t0.Add(time.Duration(i%7)*time.Second))
		}
		now := t0.Add(10 * time.Second)
		for round := range 20 {
			d := b.Dials(now, 17)
			out = append(out, d)
			for i, a := range d {
				if i%3 == 0 {
					b.DialFailed(a, DialError, now)
				}
			}
			now = now.Add(time.Duration(round) * 7 * time.Second)
		}
		return out
	}
	first := run()
	for range 5 {
		require.Equal(t, first, run())
	}
}

func TestDialRoom(t *testing.T) {
	b := New(Config{Self: self, MaxPeers: 5})
	for i := range 20 {
		b.Add(ipAddr(i), FromTracker, t0)
	}
	assert.Empty(t, b.Dials(t0, 0), "no room left by the caller")
	assert.Len(t, b.Dials(t0, 2), 2, "the caller's room")
	v := b.Connected(Conn{ID: 1, Addr: "10.1.0.1:5000", PeerID: [20]byte{9}}, 100, t0)
	require.True(t, v.Accept)
	assert.Len(t, b.Dials(t0, 100), 2, "MaxPeers counts dials in flight and connections")
	assert.Empty(t, b.Dials(t0, 100))
	b.DialFailed(ipAddr(0), DialError, t0)
	assert.Equal(t, []string{ipAddr(4)}, b.Dials(t0, 100), "a failure frees its slot")
	b.Closed(1, Lost, t0)
	assert.Equal(t, []string{ipAddr(5)}, b.Dials(t0, 100), "so does a closed connection")
}

// TestDialFailureBackOff pins the schedule: fails²×15 s; an unnamed
// candidate is forgotten after five failures in a row, a named one waits
// at most five minutes and is never forgotten.
func TestDialFailureBackOff(t *testing.T) {
	b := New(Config{Self: self})
	const named, other = "10.0.0.1:6881", "10.0.0.2:6881"
	b.Add(named, FromUser, t0)
	b.Add(other, FromTracker, t0)
	now := t0
	waits := []time.Duration{15 * time.Second, time.Minute, 135 * time.Second, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for k, want := range waits {
		d := b.Dials(now, 10)
		if k < maxFails {
			require.Equal(t, []string{named, other}, d, "round %d", k)
		} else {
			require.Equal(t, []string{named}, d, "round %d", k)
		}
		assert.Equal(t, now.Add(inFlightWait), cand(t, b, named).Due, "parked while in flight")
		assert.Empty(t, b.Dials(now.Add(time.Minute), 10), "nothing due while in flight")
		for _, a := range d {
			b.DialFailed(a, DialError, now)
		}
		assert.Equal(t, now.Add(want), cand(t, b, named).Due, "named, failure %d", k+1)
		assert.Equal(t, k+1, cand(t, b, named).Fails)
		if k+1 < maxFails {
			assert.Equal(t, now.Add(want), cand(t, b, other).Due, "unnamed, failure %d", k+1)
		} else {
			_, ok := b.Candidate(other)
			assert.False(t, ok, "unnamed, forgotten after failure %d", k+1)
		}
		assert.Empty(t, b.Dials(now.Add(want-time.Nanosecond), 10), "not due yet")
		now = now.Add(want)
	}
	assert.Equal(t, 0, b.NumDialing())
}

// A named peer that never answers is dialled every five minutes for as
// long as the torrent runs: 30,000 failures (104 days) overflowed the
// squared back-off, and its wait went negative.
func TestNamedBackOffDoesNotOverflow(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:6881", FromUser, t0)
	now := t0
	for k := 1; k <= 30_000; k++ {
		require.Len(t, b.Dials(now, 1), 1, "failure %d", k)
		b.DialFailed("10.0.0.1:6881", DialError, now)
		wait := cand(t, b, "10.0.0.1:6881").Due.Sub(now)
		if k >= maxFails {
			require.Equal(t, maxWait, wait, "failure %d", k)
		}
		now = now.Add(wait)
	}
}

func TestDialSelfForgetsEvenNamed(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:6881", FromUser, t0)
	b.Add("10.0.0.2:6881", FromTracker, t0)
	for _, a := range b.Dials(t0, 10) {
		b.DialFailed(a, DialSelf, t0)
	}
	assert.Equal(t, 0, b.NumCandidates())
	assert.Equal(t, 0, b.NumDialing())
}

func TestDialFailedAfterBan(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:6881", FromTracker, t0)
	require.Len(t, b.Dials(t0, 10), 1)
	b.Ban("10.0.0.1")
	b.DialFailed("10.0.0.1:6881", DialError, t0)
	assert.Equal(t, 0, b.NumDialing(), "the dial is over even though its candidate is gone")
	assert.Equal(t, 0, b.NumCandidates())
	b.DialFailed("10.0.0.1:6881", DialError, t0)
	assert.Equal(t, 0, b.NumDialing(), "never below zero")
}

func TestConnectedAddressIsNotDialled(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:6881", FromTracker, t0)
	b.Add("10.0.0.2:6881", FromTracker, t0)
	require.True(t, b.Connected(Conn{ID: 1, Addr: "10.0.0.1:6881", PeerID: [20]byte{7}}, 10, t0).Accept)
	assert.Equal(t, []string{"10.0.0.2:6881"}, b.Dials(t0, 10))
}

func TestHaltStopsDials(t *testing.T) {
	b := New(Config{Self: self})
	b.Add("10.0.0.1:6881", FromTracker, t0)
	b.Add("10.0.0.2:6881", FromTracker, t0)
	require.Len(t, b.Dials(t0, 1), 1)
	b.Halt()
	assert.Empty(t, b.Dials(t0, 10))
	v := b.Connected(Conn{ID: 1, Addr: "10.0.0.1:6881", PeerID: [20]byte{7}, Outgoing: true, Initiator: true}, 10, t0)
	assert.False(t, v.Accept)
	assert.ErrorIs(t, v.Reason, ErrHalted)
	assert.Equal(t, 0, b.NumDialing())
}
