package engine

import (
	"cmp"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/pex"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var bareStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// bareTorrent is a torrent with no loop, no session and no storage, on a
// fake clock: enough for connection admission and the peer book's glue.
func bareTorrent(t *testing.T, peerID byte) *Torrent {
	t.Helper()
	e := &Engine{cfg: Config{PeerID: [20]byte{peerID}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		clock: NewFakeClock(bareStart)}
	e.cfg.setDefaults()
	tor := &Torrent{
		e: e, events: make(chan event, 64), quit: make(chan struct{}),
		peers: map[session.PeerID]*peerConn{}, byID: map[[20]byte]session.PeerID{},
		book:  peers.New(peers.Config{Self: e.cfg.PeerID, MaxPeers: e.cfg.MaxPeersPerTorrent}),
		pexIn: pex.NewInbox(), pexOut: pex.NewOutbox(),
	}
	tor.state.Store(StateMetadata)
	tor.startMetadata()
	t.Cleanup(func() {
		close(tor.quit)
		for _, p := range tor.peers {
			p.close()
		}
	})
	return tor
}

// connect hands the torrent one end of a pipe as pc; an outgoing pc's
// address is first handed out by the book, as fillPeers would.
func connect(t *testing.T, tor *Torrent, pc pendingConn) {
	t.Helper()
	if pc.outgoing {
		tor.book.Add(pc.addr, peers.FromTracker, bareStart)
		require.Equal(t, []string{pc.addr}, tor.book.Dials(bareStart, 1))
	}
	ours, theirs := net.Pipe()
	t.Cleanup(func() { _ = theirs.Close() })
	pc.conn = ours
	tor.onConnected(pc, bareStart)
}

// TestSimultaneousOpenKeepsOneConnection plays one end of two peers
// dialling each other at once, in each order of arrival: the connection
// the lower id dialled is kept and the other closed, and the engine's
// peers, ids and metadata peers follow the book.
func TestSimultaneousOpenKeepsOneConnection(t *testing.T) {
	const low, high = 1, 2
	for _, me := range []byte{low, high} {
		for _, outgoingFirst := range []bool{false, true} {
			tor := bareTorrent(t, me)
			them := [20]byte{low + high - me}
			conns := []pendingConn{
				{addr: "127.0.0.1:6881", outgoing: true, initiator: true, hs: wire.Handshake{PeerID: them}},
				{addr: "127.0.0.1:50123", outgoing: false, hs: wire.Handshake{PeerID: them}},
			}
			if !outgoingFirst {
				conns[0], conns[1] = conns[1], conns[0]
			}
			for _, pc := range conns {
				connect(t, tor, pc)
			}
			require.Len(t, tor.peers, 1, "me %d, outgoing first %v", me, outgoingFirst)
			for _, p := range tor.peers {
				assert.Equal(t, me == low, p.initiator, "me %d, outgoing first %v: keep the lower id's dial", me, outgoingFirst)
				assert.Equal(t, p.id, tor.byID[them])
			}
			assert.Equal(t, 1, tor.phase.(*metaPhase).ph.NumPeers(), "the metadata phase has the one peer")
			assert.Equal(t, 1, tor.book.NumConns())
			assert.Equal(t, 0, tor.book.NumDialing())
		}
	}
}

// Over WebRTC both connections between a pair have the same address (the
// peer id); the one the lower peer id offered is kept.
func TestSimultaneousWebRTCKeepsTheLowerOfferersChannel(t *testing.T) {
	for _, me := range []byte{1, 2} {
		for _, offeredFirst := range []bool{false, true} {
			tor := bareTorrent(t, me)
			them := [20]byte{3 - me}
			addr := "webrtc:" + string(rune('0'+3-me))
			conns := []pendingConn{
				{addr: addr, transport: "webrtc", initiator: true, hs: wire.Handshake{PeerID: them}},
				{addr: addr, transport: "webrtc", initiator: false, hs: wire.Handshake{PeerID: them}},
			}
			if !offeredFirst {
				conns[0], conns[1] = conns[1], conns[0]
			}
			for _, pc := range conns {
				connect(t, tor, pc)
			}
			require.Len(t, tor.peers, 1, "me %d, offered first %v", me, offeredFirst)
			for _, p := range tor.peers {
				assert.Equal(t, me == 1, p.initiator, "me %d, offered first %v: keep the lower id's offer", me, offeredFirst)
			}
		}
	}
}

// The reason the session closes a peer for decides what the book does
// with its address: a ban forgets the host, two seeds wait half an hour,
// anything else is a lost connection.
func TestClosePeerReasonsReachTheBook(t *testing.T) {
	tor := bareTorrent(t, 1)
	out := (*torrentOut)(tor)
	them := byte(10)
	open := func(addr string) session.PeerID {
		them++
		connect(t, tor, pendingConn{addr: addr, outgoing: true, initiator: true, hs: wire.Handshake{PeerID: [20]byte{them}}})
		for id, p := range tor.peers {
			if p.addr == addr {
				return id
			}
		}
		require.Fail(t, "not connected", addr)
		return 0
	}
	due := func(addr string) time.Duration {
		c, ok := tor.book.Candidate(addr)
		require.True(t, ok, addr)
		return c.Due.Sub(bareStart)
	}

	out.ClosePeer(open("10.0.0.1:6881"), session.ErrBothSeeds)
	assert.Equal(t, 30*time.Minute, due("10.0.0.1:6881"))

	out.ClosePeer(open("10.0.0.2:6881"), errors.New("request timed out"))
	assert.Equal(t, 10*time.Second, due("10.0.0.2:6881"))

	id := open("10.0.0.3:6881")
	tor.book.Add("10.0.0.3:7000", peers.FromPEX, bareStart)
	out.ClosePeer(id, session.ErrBanned)
	assert.True(t, tor.book.Banned("10.0.0.3"))
	_, ok := tor.book.Candidate("10.0.0.3:7000")
	assert.False(t, ok, "every address of a banned host is forgotten")
	ours, theirs := net.Pipe()
	defer theirs.Close()
	tor.onConnected(pendingConn{conn: ours, addr: "10.0.0.3:50000", hs: wire.Handshake{PeerID: [20]byte{99}}}, bareStart)
	assert.Empty(t, tor.peers, "a banned host is refused")
	assert.Equal(t, 0, tor.book.NumConns())
}

// A dial that reached ourselves forgets the address, even one the user
// named; other failures back it off.
func TestDialFailureReachesTheBook(t *testing.T) {
	tor := bareTorrent(t, 1)
	tor.book.Add("10.0.0.1:6881", peers.FromUser, bareStart)
	tor.book.Add("10.0.0.2:6881", peers.FromTracker, bareStart)
	require.Len(t, tor.book.Dials(bareStart, 10), 2)
	tor.onDialFailed("10.0.0.1:6881", errSelf, bareStart)
	tor.onDialFailed("10.0.0.2:6881", errors.New("connection refused"), bareStart)
	_, ok := tor.book.Candidate("10.0.0.1:6881")
	assert.False(t, ok)
	c, ok := tor.book.Candidate("10.0.0.2:6881")
	require.True(t, ok)
	assert.Equal(t, bareStart.Add(15*time.Second), c.Due)
	assert.Equal(t, 0, tor.book.NumDialing())
}

// A full torrent that knows its address (BEP 40) closes its lowest-ranked
// connection for an incoming one that outranks it; the engine's peers and
// ids follow the book.
func TestFullTorrentEvictsLowestRank(t *testing.T) {
	tor := bareTorrent(t, 1)
	tor.book = peers.New(peers.Config{Self: tor.e.cfg.PeerID, MaxPeers: 2})
	me := netip.MustParseAddrPort("123.213.32.10:6881")
	tor.book.SetSelf(me)
	rank := func(addr string) uint32 {
		p, ok := peers.Priority(me, netip.MustParseAddrPort(addr))
		require.True(t, ok)
		return p
	}
	addrs := []string{"98.76.54.32:6881", "123.213.32.234:6881", "8.8.4.4:6881"}
	slices.SortFunc(addrs, func(a, b string) int { return cmp.Compare(rank(a), rank(b)) })
	for i, a := range addrs[:2] {
		connect(t, tor, pendingConn{addr: a, hs: wire.Handshake{PeerID: [20]byte{9, byte(i)}}})
	}
	require.Len(t, tor.peers, 2)
	connect(t, tor, pendingConn{addr: addrs[2], hs: wire.Handshake{PeerID: [20]byte{9, 2}}})
	require.Len(t, tor.peers, 2)
	var kept []string
	for _, p := range tor.peers {
		kept = append(kept, p.addr)
	}
	slices.Sort(kept)
	want := []string{addrs[1], addrs[2]}
	slices.Sort(want)
	assert.Equal(t, want, kept, "the lowest-ranked %s was closed", addrs[0])
	_, stillKnown := tor.byID[[20]byte{9, 0}]
	assert.False(t, stillKnown)
	assert.Equal(t, 2, tor.book.NumConns())
}
