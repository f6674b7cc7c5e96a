package tracker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/internal/testfixtures"
	"github.com/braid-bt/braid/tracker/wsproto"
)

// FuzzWSHandle feeds frames straight to the signalling hub (no sockets):
// it must never panic, and its books must stay consistent.
func FuzzWSHandle(f *testing.F) {
	frames, err := filepath.Glob(testfixtures.Path("wsframes", "*.json"))
	if err != nil || len(frames) == 0 {
		f.Fatalf("no seed frames in testdata/wsframes: %v", err)
	}
	for _, p := range frames {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		clock := newFakeClock()
		h := NewServer(ServerConfig{Now: clock.Now, MaxSwarms: 4, MaxPeersPerSwarm: 4}).ws
		a := h.newConn(func() {})
		c := h.newConn(func() {})
		for _, p := range [][]byte{b, b} {
			h.handle(a, p)
			h.handle(c, p)
			clock.Advance(time.Second)
		}
		h.mu.Lock()
		for ih, sw := range h.swarms {
			require.NotEmpty(t, sw.list, "empty swarms are forgotten")
			require.Len(t, sw.index, len(sw.list))
			seeders := 0
			for i, p := range sw.list {
				require.Equal(t, i, sw.index[p.id])
				_, ok := p.conn.peers[wsKey{ih, p.id}]
				require.True(t, ok)
				if p.seeder {
					seeders++
				}
			}
			require.Equal(t, seeders, sw.seeders)
		}
		h.mu.Unlock()
		h.drop(a)
		h.drop(c)
		require.Empty(t, h.swarms)
		for _, q := range []chan []byte{a.out, c.out} {
			for len(q) > 0 {
				_, err := wsproto.Decode(<-q)
				require.NoError(t, err, "the hub only sends valid frames")
			}
		}
	})
}
