package hostile

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// magnetScenario is a victim fetching c's info dictionary from a magnet
// link with no peer yet: hostile peers act first, then an honest seeder
// dials in and the download must complete.
type magnetScenario struct {
	t      *testing.T
	c      *content
	victim *braid.Client
	tor    *braid.Torrent
	dir    string
}

func newMagnetScenario(t *testing.T, c *content) *magnetScenario {
	t.Helper()
	dir := t.TempDir()
	v := newClient(t, braid.Config{DataDir: dir})
	tor, err := v.Download(context.Background(), fmt.Sprintf("magnet:?xt=urn:btih:%s&dn=%s", c.ih, c.name))
	require.NoError(t, err)
	require.Equal(t, "fetching metadata", tor.State())
	return &magnetScenario{t: t, c: c, victim: v, tor: tor, dir: dir}
}

func (s *magnetScenario) honestCompletes(d time.Duration) {
	s.t.Helper()
	startSeeder(s.t, s.c, braid.Config{}, s.victim.ListenAddr())
	waitComplete(s.t, s.tor, d)
	requireContent(s.t, s.c, s.dir)
}

// extHandshake is a BEP 10 handshake offering ut_metadata on id 3.
func extHandshake(metadataSize int64) *wire.Message {
	payload := fmt.Appendf(nil, "d1:md11:ut_metadatai3ee13:metadata_sizei%de1:v7:hostilee", metadataSize)
	return &wire.Message{Type: wire.Extended, ExtID: 0, Payload: payload}
}

// TestHostileMagnetPeers: peers that lie while Braid fetches a magnet's
// info dictionary (BEP 9) cost bounded memory and cannot stop the fetch.
func TestHostileMagnetPeers(t *testing.T) {
	c := makeContent(t, "magnet.bin", 1<<20, 16<<10, 11) // 64 pieces: an info dict of 1,300 bytes
	ih := [20]byte(c.ih)

	t.Run("metadata_size of 4 GiB", func(t *testing.T) {
		s := newMagnetScenario(t, c)
		before := heapInuse()
		h := connectHostile(t, s.victim.ListenAddr(), ih, true, true)
		require.NoError(t, h.send(extHandshake(1<<32-1)))
		t.Logf("dropped: %v", h.closedWithin(2*time.Second))
		requireHeapBounded(t, before, 16<<20, "after a 4 GiB metadata_size")
		s.honestCompletes(30 * time.Second)
	})

	// The liar is heard first, so on a tie its size is the one fetched.
	for _, liar := range []struct {
		name  string
		size  int64
		serve bool // answer requests with garbage (else never answer)
	}{
		{"8 MiB metadata_size, garbage pieces", 8 << 20, true},
		{"plausible metadata_size, garbage pieces", 2000, true},
		// It keeps the connection and answers nothing: BEP 9 requests
		// time out after 10 s, so a fetch that can route around a silent
		// liar finishes well within 25 s.
		{"plausible metadata_size, never answers", 2000, false},
	} {
		t.Run(liar.name, func(t *testing.T) {
			s := newMagnetScenario(t, c)
			before := heapInuse()
			h := connectHostile(t, s.victim.ListenAddr(), ih, true, true)
			require.NoError(t, h.send(extHandshake(liar.size), &wire.Message{Type: wire.HaveAll}))
			var asked atomic.Int32
			go func() {
				for {
					m, ok := h.next(60*time.Second, func(m wire.Message) bool { return m.Type == wire.Extended && m.ExtID == 3 })
					if !ok {
						return
					}
					mm, err := wire.ParseMetadataMsg(m.Payload)
					if err != nil || mm.Type != wire.MetadataRequest {
						continue
					}
					asked.Add(1)
					if !liar.serve {
						continue
					}
					n := int(min(int64(wire.MetadataPieceSize), liar.size-int64(mm.Piece)*wire.MetadataPieceSize))
					reply := wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataData, Piece: mm.Piece,
						TotalSize: int(liar.size), Data: garbage(n)})
					// Braid's id for ut_metadata, from its extension handshake.
					if h.send(&wire.Message{Type: wire.Extended, ExtID: 1, Payload: reply}) != nil {
						return
					}
				}
			}()
			time.Sleep(500 * time.Millisecond) // the liar's size is heard first
			start := time.Now()
			s.honestCompletes(25 * time.Second)
			t.Logf("complete %v after the honest seeder joined; the liar was asked %d pieces, dropped: %v",
				time.Since(start).Round(time.Millisecond), asked.Load(), h.closedWithin(0))
			requireHeapBounded(t, before, 24<<20, liar.name)
		})
	}

	t.Run("bitfield flood before the metadata", func(t *testing.T) {
		s := newMagnetScenario(t, c)
		before := heapInuse()
		h := connectHostile(t, s.victim.ListenAddr(), ih, true, true)
		// Braid cannot check a bitfield's length before it knows the
		// number of pieces; what it keeps meanwhile must stay bounded.
		bf := &wire.Message{Type: wire.Bitfield, Bitfield: make([]byte, 1<<20-16)}
		sent := 0
		for i := 0; i < 64; i++ {
			if h.send(bf) != nil {
				break
			}
			sent++
		}
		time.Sleep(500 * time.Millisecond) // let Braid's loop take in what it read
		t.Logf("sent %d bitfields of 1 MiB; dropped: %v", sent, h.closedWithin(0))
		requireHeapBounded(t, before, 16<<20, fmt.Sprintf("after %d 1 MiB bitfields before the metadata", sent))
		_ = h.conn.Close()
		s.honestCompletes(30 * time.Second)
	})
}
