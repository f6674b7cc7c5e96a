package peers

import (
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClosedPeerIsRedialled pins the schedule after lost connections: 10 s
// doubling, at most 5 minutes; an unnamed address is forgotten after five
// losses in a row, a named one never. A connection that lasted starts the
// count afresh, and two seeds wait half an hour.
func TestClosedPeerIsRedialled(t *testing.T) {
	b := New(Config{Self: self})
	const named, other = "10.0.0.1:6881", "10.0.0.2:6881"
	b.Add(named, FromUser, t0)
	b.Add(other, FromTracker, t0)
	now := t0
	id := ConnID(0)
	for k := 1; k <= maxFails+4; k++ {
		d := b.Dials(now, 10)
		for i, a := range d {
			id++
			v := b.Connected(Conn{ID: id, Addr: a, PeerID: [20]byte{byte(10 + i)}, Outgoing: true, Initiator: true}, 10, now)
			require.True(t, v.Accept, "drop %d: %v", k, v.Reason)
			b.Closed(id, Lost, now)
		}
		want := min(closedWait<<(k-1), maxWait)
		assert.Equal(t, now.Add(want), cand(t, b, named).Due, "drop %d", k)
		assert.Equal(t, k, cand(t, b, named).Closes)
		if k <= maxFails {
			assert.Equal(t, now.Add(want), cand(t, b, other).Due, "drop %d", k)
		} else {
			_, ok := b.Candidate(other)
			assert.False(t, ok, "drop %d", k)
		}
		now = now.Add(want)
	}
	assert.Equal(t, 0, b.NumConns())

	// A connection that lasted starts the back-off afresh.
	require.Equal(t, []string{named}, b.Dials(now, 10))
	id++
	require.True(t, b.Connected(Conn{ID: id, Addr: named, PeerID: [20]byte{10}, Outgoing: true, Initiator: true}, 10, now).Accept)
	b.Closed(id, Lost, now.Add(maxWait))
	assert.Equal(t, now.Add(maxWait+closedWait), cand(t, b, named).Due)
	assert.Equal(t, 1, cand(t, b, named).Closes)

	// Two seeds have nothing to trade: wait long, without counting a loss.
	now = now.Add(maxWait + closedWait)
	require.Equal(t, []string{named}, b.Dials(now, 10))
	id++
	require.True(t, b.Connected(Conn{ID: id, Addr: named, PeerID: [20]byte{10}, Outgoing: true, Initiator: true}, 10, now).Accept)
	b.Closed(id, BothSeeds, now)
	assert.Equal(t, now.Add(bothSeedsWait), cand(t, b, named).Due)
	assert.Equal(t, 1, cand(t, b, named).Closes)

	b.Closed(id, Lost, now)
	assert.Equal(t, now.Add(bothSeedsWait), cand(t, b, named).Due, "a second report of one connection is ignored")
}

// A dial failure starts the drop count afresh; a connection clears the
// failure count.
func TestFailuresAndDropsResetEachOther(t *testing.T) {
	b := New(Config{Self: self})
	const a = "10.0.0.1:6881"
	b.Add(a, FromTracker, t0)
	now := t0
	for range 3 {
		require.Equal(t, []string{a}, b.Dials(now, 1))
		b.DialFailed(a, DialError, now)
		now = cand(t, b, a).Due
	}
	require.Equal(t, 3, cand(t, b, a).Fails)
	for k := range 3 {
		require.Equal(t, []string{a}, b.Dials(now, 1))
		id := ConnID(k + 1)
		require.True(t, b.Connected(Conn{ID: id, Addr: a, PeerID: [20]byte{9}, Outgoing: true, Initiator: true}, 1, now).Accept)
		assert.Equal(t, 0, cand(t, b, a).Fails)
		b.Closed(id, Lost, now)
		now = cand(t, b, a).Due
	}
	require.Equal(t, 3, cand(t, b, a).Closes)
	require.Equal(t, []string{a}, b.Dials(now, 1))
	b.DialFailed(a, DialError, now)
	c := cand(t, b, a)
	assert.Equal(t, 0, c.Closes)
	assert.Equal(t, 1, c.Fails)
	assert.Equal(t, now.Add(dialFailWait), c.Due)
}

// An incoming connection from a candidate's address clears its failures
// and, when it ends, schedules it like a dialled one.
func TestIncomingFromCandidate(t *testing.T) {
	b := New(Config{Self: self})
	const a = "10.0.0.1:6881"
	b.Add(a, FromTracker, t0)
	require.Len(t, b.Dials(t0, 1), 1)
	b.DialFailed(a, DialError, t0)
	require.True(t, b.Connected(Conn{ID: 1, Addr: a, PeerID: [20]byte{9}}, 1, t0).Accept)
	assert.Equal(t, 0, cand(t, b, a).Fails)
	b.Closed(1, Lost, t0.Add(time.Second))
	assert.Equal(t, t0.Add(time.Second+closedWait), cand(t, b, a).Due)
}

// A dialled connection refused on arrival leaves its candidate parked
// until the in-flight wait ends.
func TestRefusedDialStaysParked(t *testing.T) {
	b := New(Config{Self: self, MaxPeers: 2})
	b.Add("10.0.0.1:6881", FromTracker, t0)
	require.Len(t, b.Dials(t0, 10), 1)
	require.True(t, b.Connected(Conn{ID: 1, Addr: "10.0.0.9:1", PeerID: [20]byte{9}}, 10, t0).Accept)
	require.True(t, b.Connected(Conn{ID: 2, Addr: "10.0.0.8:1", PeerID: [20]byte{8}}, 10, t0).Accept,
		"an incoming connection counts open connections only")
	v := b.Connected(Conn{ID: 3, Addr: "10.0.0.1:6881", PeerID: [20]byte{7}, Outgoing: true, Initiator: true}, 10, t0)
	assert.False(t, v.Accept)
	assert.ErrorIs(t, v.Reason, ErrFull)
	assert.Equal(t, 0, b.NumDialing())
	assert.Equal(t, t0.Add(inFlightWait), cand(t, b, "10.0.0.1:6881").Due)
}

func TestConnectedRefusals(t *testing.T) {
	b := New(Config{Self: self, MaxPeers: 2})
	b.Ban("10.0.0.66")
	for _, tc := range []struct {
		name string
		c    Conn
		room int
		want error
	}{
		{"ourselves", Conn{ID: 1, Addr: "10.0.0.1:1", PeerID: self}, 10, ErrSelf},
		{"banned", Conn{ID: 2, Addr: "10.0.0.66:1", PeerID: [20]byte{2}}, 10, ErrBanned},
		{"banned over uTP", Conn{ID: 3, Addr: "utp://10.0.0.66:2", PeerID: [20]byte{3}}, 10, ErrBanned},
		{"engine full", Conn{ID: 4, Addr: "10.0.0.4:1", PeerID: [20]byte{4}}, 0, ErrFull},
		{"first", Conn{ID: 5, Addr: "10.0.0.5:1", PeerID: [20]byte{5}}, 10, nil},
		{"same address", Conn{ID: 6, Addr: "10.0.0.5:1", PeerID: [20]byte{6}}, 10, ErrDuplicate},
		{"same peer, same initiator", Conn{ID: 7, Addr: "10.0.0.7:1", PeerID: [20]byte{5}}, 10, ErrDuplicate},
		{"second", Conn{ID: 8, Addr: "10.0.0.8:1", PeerID: [20]byte{8}}, 10, nil},
		{"torrent full", Conn{ID: 9, Addr: "10.0.0.9:1", PeerID: [20]byte{9}}, 10, ErrFull},
		// We (1) are lower than 8: our dial replaces their incoming
		// connection, full or not.
		{"replacement", Conn{ID: 10, Addr: "10.0.0.8:6881", PeerID: [20]byte{8}, Initiator: true}, 0, nil},
	} {
		v := b.Connected(tc.c, tc.room, t0)
		if tc.want != nil {
			assert.False(t, v.Accept, tc.name)
			assert.ErrorIs(t, v.Reason, tc.want, tc.name)
		} else {
			assert.True(t, v.Accept, tc.name)
			assert.NoError(t, v.Reason, tc.name)
		}
	}
	assert.Equal(t, 2, b.NumConns())
}

// side is one peer's book in a simulated simultaneous open, with the
// connections it keeps.
type side struct {
	id   [20]byte
	book *Book
	open map[ConnID]bool
}

// deliver hands the side one end of connection link (both sides use the
// link's number as their ConnID).
func (s *side) deliver(t *testing.T, link ConnID, addr string, them [20]byte, weOpened bool) {
	t.Helper()
	v := s.book.Connected(Conn{ID: link, Addr: addr, PeerID: them, Outgoing: weOpened, Initiator: weOpened}, 10, t0)
	if v.Replaces {
		require.True(t, s.open[v.Old], "replaces an open connection")
		delete(s.open, v.Old)
	}
	if v.Accept {
		s.open[link] = true
	}
}

// TestSimultaneousOpenKeepsOneConnection plays both ends of two peers that
// dial each other at once, in every order of arrival on each side: both
// keep the same connection, the one the lower peer id dialled.
func TestSimultaneousOpenKeepsOneConnection(t *testing.T) {
	low, high := [20]byte{1}, [20]byte{2}
	for _, webrtc := range []bool{false, true} {
		for order := range 4 {
			name := fmt.Sprintf("webrtc %v, order %d", webrtc, order)
			a := &side{id: low, book: New(Config{Self: low}), open: map[ConnID]bool{}}
			b := &side{id: high, book: New(Config{Self: high}), open: map[ConnID]bool{}}
			// Link 1: a opened it to b's listener. Link 2: b to a's.
			addrAt := func(s *side, link ConnID) string {
				other := b
				if s == b {
					other = a
				}
				if webrtc {
					return "webrtc:" + hex.EncodeToString(other.id[:])
				}
				opener := a
				if link == 2 {
					opener = b
				}
				if s == opener {
					return fmt.Sprintf("10.0.0.%d:6881", other.id[0]) // its listen port
				}
				return fmt.Sprintf("10.0.0.%d:5000%d", other.id[0], link) // an ephemeral port
			}
			for _, s := range []*side{a, b} {
				if s == b {
					s.book.Add(addrAt(s, 2), FromTracker, t0)
				} else {
					s.book.Add(addrAt(s, 1), FromTracker, t0)
				}
				require.Len(t, s.book.Dials(t0, 10), 1)
			}
			links := map[*side][]ConnID{a: {1, 2}, b: {1, 2}}
			if order&1 != 0 {
				links[a] = []ConnID{2, 1}
			}
			if order&2 != 0 {
				links[b] = []ConnID{2, 1}
			}
			for _, s := range []*side{a, b} {
				other := b
				if s == b {
					other = a
				}
				for _, link := range links[s] {
					weOpened := (link == 1) == (s == a)
					s.deliver(t, link, addrAt(s, link), other.id, weOpened)
				}
			}
			assert.Equal(t, map[ConnID]bool{1: true}, a.open, "%s: the lower id's dial", name)
			assert.Equal(t, a.open, b.open, name)
			for _, s := range []*side{a, b} {
				assert.Equal(t, 1, s.book.NumConns(), name)
				assert.Equal(t, 0, s.book.NumDialing(), name)
			}
		}
	}
}

// A replaced connection is forgotten by the book: its close report is
// ignored, and the address of the new one counts as connected.
func TestReplacedConnectionIsForgotten(t *testing.T) {
	b := New(Config{Self: self})
	them := [20]byte{9}
	require.True(t, b.Connected(Conn{ID: 1, Addr: "10.0.0.9:50000", PeerID: them}, 10, t0).Accept)
	b.Add("10.0.0.9:6881", FromTracker, t0)
	require.Equal(t, []string{"10.0.0.9:6881"}, b.Dials(t0, 10))
	v := b.Connected(Conn{ID: 2, Addr: "10.0.0.9:6881", PeerID: them, Outgoing: true, Initiator: true}, 10, t0)
	require.True(t, v.Accept)
	require.True(t, v.Replaces)
	assert.Equal(t, ConnID(1), v.Old)
	assert.Equal(t, 1, b.NumConns())
	b.Closed(1, Lost, t0)
	assert.Equal(t, 1, b.NumConns(), "the old connection's report changes nothing")
	assert.Equal(t, t0.Add(inFlightWait), cand(t, b, "10.0.0.9:6881").Due)
	v = b.Connected(Conn{ID: 3, Addr: "10.0.0.9:50000", PeerID: [20]byte{10}}, 10, t0)
	assert.True(t, v.Accept, "the old address is free again")
}
