package engine

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
)

// layerServer plays a peer answering hash requests on its end of a pipe:
// honestly from resp, with one hash flipped (lie), or not at all (silent).
func layerServer(t *testing.T, c net.Conn, resp *v2hashes.Responder, lie, silent bool) {
	t.Helper()
	go func() {
		var buf []byte
		for {
			var m wire.Message
			var err error
			m, buf, err = wire.ReadMessage(c, buf, wire.DefaultLimits(0))
			if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
				return
			}
			if m.Type != wire.HashRequest || silent {
				continue
			}
			req, err := wire.ParseHashMsg(m.Type, m.Payload)
			if err != nil {
				return
			}
			reply, _ := resp.Answer(&req)
			if lie && reply.Type == wire.Hashes {
				reply.Hashes[0] ^= 1
			}
			if _, err := c.Write(wire.AppendHashMsg(nil, &reply)); err != nil {
				return
			}
		}
	}()
}

// A btmh magnet's torrent with files longer than a piece fetches their
// piece layers from its peers: a request that times out at a silent peer
// goes to another, as does one a peer rejects; a peer answering hashes
// that do not prove out against the pieces root is banned and dropped,
// and the layers from the honest peer are what the torrent starts with.
func TestLayerPhaseFetchesVerifiedLayers(t *testing.T) {
	mi, _ := v2Stream(t, 32<<10, false, 300_000, 100_000, 20_000)
	require.Len(t, mi.PieceLayers, 2)
	resp := newHashResponder(mi.Info, mi.PieceLayers)
	tor := bareTorrent(t, 1)
	tor.spec.InfoHashV2 = mi.InfoHashV2 // hash messages are read for v2 torrents only
	started := make(chan map[merkle.Hash][]merkle.Hash, 1)
	tor.spec.OpenStorage = func(*metainfo.Info) (persist.Storage, bool, error) {
		started <- tor.spec.PieceLayers
		return nil, false, errors.New("stop here: the layers are known")
	}
	var handoffs []metadata.Handoff
	for i, role := range []string{"silent", "rejecter", "liar", "honest"} {
		ours, theirs := net.Pipe()
		t.Cleanup(func() { _ = theirs.Close() })
		r := resp
		if role == "rejecter" {
			r = v2hashes.NewResponder() // knows no file: rejects every request
		}
		layerServer(t, theirs, r, role == "liar", role == "silent")
		addr := net.JoinHostPort(net.IPv4(10, 0, 0, byte(i+1)).String(), "6881")
		tor.onConnected(pendingConn{conn: ours, addr: addr, hs: wire.Handshake{PeerID: [20]byte{byte(i + 10)}}}, bareStart)
		handoffs = append(handoffs, metadata.Handoff{Peer: metadata.PeerID(tor.nextID)})
	}
	require.Len(t, tor.peers, 4)
	require.NoError(t, tor.startLayers(mi.Info, mi.InfoBytes, handoffs, bareStart))
	lp := tor.phase.(*layerPhase)
	require.Len(t, lp.reqs, 2)

	deadline := time.After(10 * time.Second)
	ticked := false
	for {
		select {
		case ev := <-tor.events:
			tor.handle(ev)
		case layers := <-started:
			require.Equal(t, mi.PieceLayers, layers)
			require.True(t, tor.book.Banned("10.0.0.3"), "the liar is banned")
			require.False(t, tor.book.Banned("10.0.0.2"), "a peer rejecting is not")
			require.False(t, tor.book.Banned("10.0.0.4"))
			require.Len(t, tor.peers, 3, "the liar is dropped")
			return
		case <-time.After(200 * time.Millisecond):
			if !ticked {
				// The silent peer's request times out and goes elsewhere.
				ticked = true
				lp.Tick(bareStart.Add(layerRequestTimeout + time.Second))
			}
		case <-deadline:
			t.Fatalf("layers not fetched: %d left", lp.left)
		}
	}
}
