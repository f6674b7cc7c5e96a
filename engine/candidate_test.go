package engine

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/pex"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bareTorrent is a torrent with no loop, no session and no storage: enough
// for candidate bookkeeping and connection admission.
func bareTorrent(t *testing.T, peerID byte, named ...string) *Torrent {
	t.Helper()
	e := &Engine{cfg: Config{PeerID: [20]byte{peerID}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		clock: NewFakeClock(time.Now())}
	e.cfg.setDefaults()
	tor := &Torrent{
		e: e, spec: Spec{Peers: named},
		events: make(chan event, 64), quit: make(chan struct{}),
		peers: map[session.PeerID]*peerConn{}, byAddr: map[string]session.PeerID{},
		byID: map[[20]byte]session.PeerID{}, candidates: map[string]*candidate{},
		banned: map[string]bool{}, meta: map[session.PeerID]*metaPeer{},
		fetcher: metadata.NewFetcher([20]byte{1}),
		pexIn:   pex.NewInbox(), pexOut: pex.NewOutbox(),
	}
	tor.state.Store(StateMetadata)
	t.Cleanup(func() {
		close(tor.quit)
		for _, p := range tor.peers {
			p.close()
		}
	})
	return tor
}

func TestNamedPeerIsNeverForgotten(t *testing.T) {
	tor := bareTorrent(t, 1, "10.0.0.1:6881")
	tor.addCandidate("10.0.0.1:6881")
	tor.addCandidate("10.0.0.2:6881")
	for range 2 * maxCandidateFails {
		for _, a := range []string{"10.0.0.1:6881", "10.0.0.2:6881"} {
			tor.handle(evDialFailed{addr: a, err: errors.New("refused")})
		}
	}
	require.Contains(t, tor.candidates, "10.0.0.1:6881")
	assert.NotContains(t, tor.candidates, "10.0.0.2:6881", "an address a tracker gave is dropped")
	c := tor.candidates["10.0.0.1:6881"]
	assert.WithinDuration(t, time.Now().Add(maxCandidateWait), c.next, 5*time.Second, "back-off is capped")
}

func TestClosedPeerIsRedialled(t *testing.T) {
	tor := bareTorrent(t, 1, "10.0.0.1:6881")
	now := time.Now()
	tor.addCandidate("10.0.0.1:6881")
	tor.addCandidate("10.0.0.2:6881")
	for _, c := range tor.candidates {
		c.dialed, c.next = now, now.Add(time.Hour) // as fillPeers leaves them
	}
	eof := io.EOF
	for k := 1; k <= maxCandidateFails+2; k++ {
		tor.onPeerClosed("10.0.0.1:6881", eof, now)
		tor.onPeerClosed("10.0.0.2:6881", eof, now)
		want := min(closedWait<<(k-1), maxCandidateWait)
		assert.Equal(t, now.Add(want), tor.candidates["10.0.0.1:6881"].next, "drop %d", k)
		if k <= maxCandidateFails {
			assert.Equal(t, now.Add(want), tor.candidates["10.0.0.2:6881"].next, "drop %d", k)
		} else {
			assert.NotContains(t, tor.candidates, "10.0.0.2:6881", "drop %d", k)
		}
	}
	// A connection that lasted starts the back-off afresh.
	c := tor.candidates["10.0.0.1:6881"]
	c.dialed = now.Add(-time.Hour)
	tor.onPeerClosed("10.0.0.1:6881", eof, now)
	assert.Equal(t, now.Add(closedWait), c.next)
	// Two seeds have nothing to trade: wait long.
	tor.onPeerClosed("10.0.0.1:6881", session.ErrBothSeeds, now)
	assert.Equal(t, now.Add(bothSeedsWait), c.next)
}

// TestSimultaneousOpenKeepsOneConnection plays both ends of two peers
// dialling each other at once, in each order of arrival: both ends must
// keep the same connection (the one the lower id dialled), never close
// both.
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
				ours, theirs := net.Pipe()
				t.Cleanup(func() { _ = theirs.Close() })
				pc.conn = ours
				if pc.outgoing {
					tor.dialing++
				}
				tor.onConnected(pc, time.Now())
			}
			require.Len(t, tor.peers, 1, "me %d, outgoing first %v", me, outgoingFirst)
			for _, p := range tor.peers {
				assert.Equal(t, me == low, p.initiator, "me %d, outgoing first %v: keep the lower id's dial", me, outgoingFirst)
				assert.Equal(t, p.id, tor.byID[them])
			}
			assert.Len(t, tor.meta, 1)
		}
	}
}

// Over WebRTC both connections between a pair have the same address (the
// peer id); the one the lower peer id offered is kept on both sides.
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
				ours, theirs := net.Pipe()
				t.Cleanup(func() { _ = theirs.Close() })
				pc.conn = ours
				tor.onConnected(pc, time.Now())
			}
			require.Len(t, tor.peers, 1, "me %d, offered first %v", me, offeredFirst)
			for _, p := range tor.peers {
				assert.Equal(t, me == 1, p.initiator, "me %d, offered first %v: keep the lower id's offer", me, offeredFirst)
			}
		}
	}
}
