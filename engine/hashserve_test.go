package engine

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
)

// readHashMsgs reads what the engine sends until n hash messages came or
// the wait ends, skipping everything else.
func readHashMsgs(t *testing.T, c interface {
	Read([]byte) (int, error)
	SetReadDeadline(time.Time) error
}, n int, wait time.Duration) []wire.HashMsg {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(wait))
	var out []wire.HashMsg
	var buf []byte
	for len(out) < n {
		var m wire.Message
		var err error
		m, buf, err = wire.ReadMessage(c, buf, wire.DefaultLimits(0))
		if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
			break
		}
		if !isHashMsg(m.Type) || m.KeepAlive {
			continue
		}
		hm, err := wire.ParseHashMsg(m.Type, m.Payload)
		require.NoError(t, err)
		hm.Hashes = append([]byte(nil), hm.Hashes...)
		out = append(out, hm)
	}
	return out
}

// A v2 torrent answers a peer's hash requests from its piece layers:
// each piece layer request (as libtorrent asks) with hashes that prove
// out against the file's pieces root alone, a request for a root not of
// the torrent with a hash reject; unsolicited hashes and rejects are
// ignored and the peer keeps its connection.
func TestServesHashRequests(t *testing.T) {
	_, _, mi, addr := swarmRig(t, false)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	f := mi.Info.FilesV2[0]
	reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, mi.Info.PieceLength)
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	unknown := reqs[0]
	unknown.Root = [32]byte{1}
	var out []byte
	for _, m := range []wire.HashMsg{{Type: wire.Hashes, Root: f.PiecesRoot, Length: 1, Hashes: make([]byte, 64)},
		{Type: wire.HashReject, Root: f.PiecesRoot, Length: 1}, reqs[0], unknown} {
		out = wire.AppendHashMsg(out, &m)
	}
	_, err = c.Write(out)
	require.NoError(t, err)
	got := readHashMsgs(t, c, 2, 5*time.Second)
	require.Len(t, got, 2)
	require.Equal(t, wire.Hashes, got[0].Type)
	require.True(t, v2hashes.Same(&got[0], &reqs[0]))
	h := v2hashes.TreeHeight(f.Length)
	known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, h, h)
	require.NoError(t, err)
	hashes, err := v2hashes.Verify(known, &got[0])
	require.NoError(t, err)
	require.Equal(t, mi.PieceLayers[f.PiecesRoot], hashes[:len(mi.PieceLayers[f.PiecesRoot])])
	require.Equal(t, wire.HashReject, got[1].Type)
	require.True(t, v2hashes.Same(&got[1], &unknown))
	require.True(t, stillOpen(c, 300*time.Millisecond), "the connection was closed")
}

// A flood of hash requests is answered only up to the per-peer rate: the
// rest are rejected without touching a tree, so a peer cannot make Braid
// build answers without bound; a malformed hash message drops the peer.
func TestHashRequestFloodIsBounded(t *testing.T) {
	_, _, mi, addr := swarmRig(t, false)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	f := mi.Info.FilesV2[0]
	reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, mi.Info.PieceLength)
	require.NoError(t, err)
	const flood = 2000
	var out []byte
	for range flood {
		out = wire.AppendHashMsg(out, &reqs[0])
	}
	start := time.Now()
	go func() { _, _ = c.Write(out) }()
	got := readHashMsgs(t, c, flood, 10*time.Second)
	elapsed := time.Since(start)
	require.Len(t, got, flood, "every request has an answer")
	answered := 0
	for i := range got {
		require.True(t, v2hashes.Same(&got[i], &reqs[0]))
		if got[i].Type == wire.Hashes {
			answered++
		}
	}
	assert.GreaterOrEqual(t, answered, hashMsgBurst)
	assert.LessOrEqual(t, float64(answered), hashMsgBurst+hashMsgRate*elapsed.Seconds()+1)
	assert.Less(t, answered, flood)

	body := append([]byte{byte(wire.HashRequest)}, make([]byte, wire.HashMsgHeaderLen)...) // length 0
	_, err = c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	require.NoError(t, err)
	require.False(t, stillOpen(c, 2*time.Second), "a malformed hash request keeps the connection")
}

// The Responder of a torrent with pieces of several blocks knows each
// file from its piece layer up: a piece layer request proves out, a
// block request (below the piece layer) is rejected, and a v1 torrent
// has none.
func TestHashResponderFromPieceLayers(t *testing.T) {
	mi, _ := v2Stream(t, 64<<10, false, 300_000, 20_000)
	r := newHashResponder(mi.Info, mi.PieceLayers)
	require.NotNil(t, r)
	f := mi.Info.FilesV2[0]
	reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, mi.Info.PieceLength)
	require.NoError(t, err)
	reply, err := r.Answer(&reqs[0])
	require.NoError(t, err)
	h := v2hashes.TreeHeight(f.Length)
	known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, h, h)
	require.NoError(t, err)
	hashes, err := v2hashes.Verify(known, &reply)
	require.NoError(t, err)
	require.Equal(t, mi.PieceLayers[f.PiecesRoot], hashes[:5])
	block, ok, err := v2hashes.BlockRequest(f.PiecesRoot, f.Length, mi.Info.PieceLength, 1)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = r.Answer(&block)
	require.ErrorIs(t, err, v2hashes.ErrRejected)
	small := mi.Info.FilesV2[1]
	_, ok = r.Tree(small.PiecesRoot)
	require.True(t, ok, "a file of one piece is known by its root")

	require.Nil(t, newHashResponder(&metainfo.Info{PieceLength: 1 << 16}, nil), "a v1 torrent answers none")
}

// A peer that floods hash requests and never reads what it is sent is
// dropped once its answers fill the send queue (maxQueuedBytes): the
// engine does not buffer rejects for it without end.
func TestHashRequestFloodWithoutReadingIsDropped(t *testing.T) {
	_, _, mi, addr := swarmRig(t, false)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	f := mi.Info.FilesV2[0]
	reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, mi.Info.PieceLength)
	require.NoError(t, err)
	var chunk []byte
	for range 10_000 {
		chunk = wire.AppendHashMsg(chunk, &reqs[0])
	}
	wrote := make(chan error, 1)
	go func() {
		_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		for range 100 { // 53 MB of requests, far beyond every buffer
			if _, err := c.Write(chunk); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		require.Error(t, err, "the engine took every request without dropping the peer")
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) {
			require.False(t, ne.Timeout(), "the engine stopped reading instead of dropping the peer")
		}
	case <-time.After(40 * time.Second):
		t.Fatal("no verdict")
	}
}
