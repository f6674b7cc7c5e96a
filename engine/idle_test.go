package engine

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
	"github.com/stretchr/testify/require"
)

// wallIdle reports whether the engine's one loop is marked idle on its
// wall clock.
func wallIdle(e *Engine) (idle, ok bool) {
	e.wall.mu.Lock()
	defer e.wall.mu.Unlock()
	for _, s := range e.wall.subs {
		return s.idle, true
	}
	return false, false
}

// startSeed runs an engine listening on loopback with one small hybrid
// torrent whose data is all there, checked.
func startSeed(t *testing.T) (*Engine, net.Listener, *metainfo.MetaInfo, *Torrent) {
	mi, data := v2Stream(t, 16<<10, true, 40_000, 5000)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e := New(Config{PeerID: [20]byte{9}, HashWorkers: 1, Transports: []transport.Transport{fakeAcceptor{Listener: l}}})
	t.Cleanup(func() { _ = e.Close() })
	st := persist.NewMemory(mi.Info.Length)
	_, err = st.WriteAt(data, 0)
	require.NoError(t, err)
	tor, err := e.AddTorrent(Spec{InfoHash: mi.InfoHash, InfoHashV2: mi.InfoHashV2, PieceLayers: mi.PieceLayers,
		Info: mi.Info, InfoBytes: mi.InfoBytes, Storage: st, State: persist.NewMemoryStateStore(), Trusted: true})
	require.NoError(t, err)
	<-tor.Checked()
	return e, l, mi, tor
}

// TestSeedWithoutPeersTicksLess: a seeding torrent with no peer marks
// its loop idle on the wall clock; a peer's arrival unmarks it.
func TestSeedWithoutPeersTicksLess(t *testing.T) {
	e, l, mi, tor := startSeed(t)
	require.Equal(t, StateSeeding, tor.State())
	require.Eventually(t, func() bool { idle, ok := wallIdle(e); return ok && idle }, 10*time.Second, 20*time.Millisecond,
		"a peerless seed is idle")
	_, _, ok := handshakeWith(t, l.Addr().String(), mi.InfoHash)
	require.True(t, ok)
	require.Eventually(t, func() bool { idle, ok := wallIdle(e); return ok && !idle }, 10*time.Second, 20*time.Millisecond,
		"a seed with a peer is not")
}

// A snapshot taken right after a peer took a block counts that upload,
// whenever the loop last ticked (an idle seed publishes its counters only
// on its rarer ticks).
func TestSnapshotCountsUploadAtOnce(t *testing.T) {
	_, l, mi, tor := startSeed(t)
	require.Zero(t, tor.Snapshot().Uploaded)

	c, _, ok := handshakeWith(t, l.Addr().String(), mi.InfoHash)
	require.True(t, ok)
	var out []byte
	out = wire.AppendMessage(out, &wire.Message{Type: wire.Interested})
	_, err := c.Write(out)
	require.NoError(t, err)
	buf := make([]byte, 0, 64<<10)
	requested := false
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m wire.Message
		m, buf, err = wire.ReadMessage(c, buf, wire.DefaultLimits(mi.Info.NumPieces()))
		if errors.Is(err, wire.ErrUnknownMessage) {
			continue
		}
		require.NoError(t, err)
		if m.Type == wire.Unchoke && !requested {
			req := wire.AppendMessage(nil, &wire.Message{Type: wire.Request, Index: 0, Begin: 0, Length: wire.BlockSize})
			_, err = c.Write(req)
			require.NoError(t, err)
			requested = true
		}
		if m.Type == wire.Piece {
			require.Len(t, m.Block, wire.BlockSize)
			break
		}
	}
	require.EqualValues(t, wire.BlockSize, tor.Snapshot().Uploaded, "counted as soon as it was sent")
}
