package hostile

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// requestFlood encodes n valid REQUESTs cycling over every block of c.
func requestFlood(c *content, n int) []byte {
	per := int(c.info.PieceLength / wire.BlockSize)
	np := c.info.NumPieces()
	b := make([]byte, 0, n*17)
	for i := 0; i < n; i++ {
		blk := i % (np * per)
		b = wire.AppendMessage(b, &wire.Message{Type: wire.Request, Index: uint32(blk / per),
			Begin: uint32(blk%per) * wire.BlockSize, Length: wire.BlockSize})
	}
	return b
}

// TestRequestFlood: a peer that floods an honest seeder with requests and
// never reads what it asked for must cost the seeder bounded memory, and
// the seeder keeps serving everyone else.
func TestRequestFlood(t *testing.T) {
	c := makeContent(t, "flood.bin", 4<<20, 64<<10, 2)
	for _, tc := range []struct {
		name     string
		requests int
		fast     bool
	}{
		{"10,000 requests", 10_000, true},
		{"10,000 requests without BEP 6", 10_000, false},
		// 17 MB of requests while never reading: what Braid keeps per
		// request beyond its 500-request queue shows here.
		{"1,000,000 requests", 1_000_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seeder, _ := startSeeder(t, c, braid.Config{})
			baseG := numGoroutine()
			before := heapInuse()
			h := connectHostile(t, seeder.ListenAddr(), [20]byte(c.ih), tc.fast, false)
			require.NoError(t, h.send(&wire.Message{Type: wire.Interested}))
			flood := requestFlood(c, tc.requests)
			sent := make(chan error, 1)
			go func() {
				_ = h.conn.SetWriteDeadline(time.Now().Add(60 * time.Second))
				_, err := h.conn.Write(flood)
				sent <- err
			}()

			// An honest downloader is served meanwhile.
			dir := t.TempDir()
			leech := newClient(t, braid.Config{DataDir: dir})
			lt, err := leech.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(seeder.ListenAddr()))
			require.NoError(t, err)
			waitComplete(t, lt, 60*time.Second)
			requireContent(t, c, dir)

			start := time.Now()
			select {
			case err := <-sent:
				// Either Braid read it all (its memory must not grow with
				// what it reads), or it dropped the peer, whose answers
				// piled up unread: both are fine, a crash or bloat is not.
				if err != nil {
					require.True(t, isClosedByPeer(err), "unexpected write error: %v", err)
					t.Logf("flooding peer dropped by Braid after %v: %v", time.Since(start).Round(time.Millisecond), err)
				} else {
					t.Logf("flood of %d bytes taken in %v after the download", len(flood), time.Since(start).Round(time.Millisecond))
				}
			case <-time.After(60 * time.Second):
				t.Logf("flood of %d bytes still unread after 60s: Braid stopped reading, fine", len(flood))
			}
			time.Sleep(500 * time.Millisecond) // what was read reaches the torrent loop
			t.Logf("RSS %.1f MiB", mib(rss()))
			// Measured: ~6 MiB is Braid's fixed cost of a busy connection
			// (pooled read buffers, its 500-block upload queue); 12 MiB
			// leaves room for noise but not for a cost per request.
			requireHeapBounded(t, before, 12<<20, tc.name+" from a peer that never reads")
			_ = h.conn.Close()
			requireGoroutinesBack(t, baseG+40, 10, 10*time.Second)
		})
	}
}

// isClosedByPeer reports a write that failed because Braid closed the
// connection.
func isClosedByPeer(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
