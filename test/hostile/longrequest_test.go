package hostile

import (
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// TestLongRequestsUnderUploadLimit: requests of up to 128 KiB (what
// WebTorrent serves, and what Braid asks of WebTorrent and Braid peers)
// are served whole by a seeder with an upload limit, whose writer batches
// by bytes so no batch exceeds the limiter's burst.
func TestLongRequestsUnderUploadLimit(t *testing.T) {
	c := makeContent(t, "long.bin", 4<<20, 256<<10, 7)
	seeder, _ := startSeeder(t, c, braid.Config{UploadRate: 16 << 20})
	h := connectHostile(t, seeder.ListenAddr(), [20]byte(c.ih), true, false)
	require.NoError(t, h.send(&wire.Message{Type: wire.Interested}))
	_, ok := h.next(10*time.Second, isType(wire.Unchoke))
	require.True(t, ok, "unchoked")

	const length = wire.MaxRequestLength
	var asks []*wire.Message
	for off := int64(0); off < int64(len(c.data)); off += length {
		asks = append(asks, &wire.Message{Type: wire.Request, Index: uint32(off / c.info.PieceLength),
			Begin: uint32(off % c.info.PieceLength), Length: length})
	}
	require.NoError(t, h.send(asks...))
	for range asks {
		m, ok := h.next(20*time.Second, isType(wire.Piece))
		require.True(t, ok, "a piece message for every request (connection error: %v)", h.closeErr)
		off := int64(m.Index)*c.info.PieceLength + int64(m.Begin)
		require.Len(t, m.Block, length)
		require.Equal(t, c.data[off:off+length], m.Block, "piece %d begin %d", m.Index, m.Begin)
	}
	h.requireOpen(200*time.Millisecond, "after serving long requests")
}
