package hostile

import (
	"net"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// TestDroppedLeecherIsDialledBack: a leecher that connected to Braid and
// named its listen port (BEP 10 "p") drops the connection while it still
// lacks pieces (libtorrent does so the moment Braid completes, when it was
// not interested just before); Braid dials it back at that port.
func TestDroppedLeecherIsDialledBack(t *testing.T) {
	c := makeContent(t, "redial.bin", 1<<20, 64<<10, 11)
	seeder, _ := startSeeder(t, c, braid.Config{})
	vc, victim, _ := startVictim(t, c, braid.Config{}, seeder.ListenAddr())

	l := listenHostile(t)
	port := l.Addr().(*net.TCPAddr).Port
	h := connectHostile(t, vc.ListenAddr(), [20]byte(c.ih), false, true)
	eh := wire.ExtHandshake{M: map[string]int{}, V: "leecher", Port: port}
	require.NoError(t, h.send(&wire.Message{Type: wire.Extended, ExtID: 0, Payload: eh.Encode()}))
	h.startReader()

	waitComplete(t, victim, 30*time.Second)
	require.True(t, eventually(10*time.Second, func() bool {
		m, err := vc.Get(c.ih, "peers")
		if err != nil {
			return false
		}
		ps, _ := m["peers"].([]braid.PeerInfo)
		for _, p := range ps {
			if p.Client == "leecher" {
				return true
			}
		}
		return false
	}), "Braid has taken the leecher's extension handshake")
	require.NoError(t, h.conn.Close())

	back := acceptHostile(t, l, 10*time.Second)
	theirs, err := wire.ReadHandshake(back.conn)
	require.NoError(t, err)
	require.Equal(t, [20]byte(c.ih), theirs.InfoHash, "Braid dialled back for the torrent")
}
