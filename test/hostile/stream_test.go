package hostile

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// TestStreamNotHeldBySlowPeer: a peer that takes requests and never
// answers holds blocks of the piece a reader then asks for; the reader
// gets them from an honest (rate-limited) seeder long before the 30 s
// request timeout would free them.
func TestStreamNotHeldBySlowPeer(t *testing.T) {
	c := makeContent(t, "stream.bin", 8<<20, 64<<10, 9)
	l := listenHostile(t)
	vc, victim, _ := startVictim(t, c, braid.Config{}, l.Addr().String())

	// The slow peer: a seed that unchokes and never sends a block.
	h := acceptHostile(t, l, 10*time.Second)
	theirs, err := wire.ReadHandshake(h.conn)
	require.NoError(t, err)
	require.Equal(t, [20]byte(c.ih), theirs.InfoHash)
	require.NoError(t, h.sendHandshake(theirs.InfoHash, true, false))
	require.NoError(t, h.send(&wire.Message{Type: wire.HaveAll}, &wire.Message{Type: wire.Unchoke}))
	req, ok := h.next(10*time.Second, isType(wire.Request))
	require.True(t, ok, "the victim asks the slow peer for blocks")
	held := int(req.Index)

	// An honest seeder joins, slow enough (256 KiB/s, 32 s for the
	// torrent) that only a second copy of the held blocks, not the end
	// of the download, can answer the reader soon.
	startSeeder(t, c, braid.Config{UploadRate: 256 << 10}, vc.ListenAddr())

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	buf := make([]byte, wire.BlockSize)
	off := int64(held) * c.info.PieceLength
	n, err := victim.ReadFileAt(ctx, 0, buf, off)
	took := time.Since(start)
	require.NoError(t, err, "reading piece %d, held by the slow peer, after %v", held, took)
	require.Equal(t, len(buf), n)
	require.True(t, bytes.Equal(c.data[off:off+int64(n)], buf), "piece %d's bytes", held)
	t.Logf("piece %d read after %v", held, took.Round(time.Millisecond))
	require.Less(t, took, 15*time.Second, "the reader waited as if for the request timeout")
}
