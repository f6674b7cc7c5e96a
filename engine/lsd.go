package engine

import (
	"net/netip"
	"time"

	"github.com/braid-bt/braid/core/peers"
)

// LSD is Local Service Discovery (BEP 14; lsd.Node natively): Join
// announces a torrent with our peer port on the LAN and returns the peers
// found announcing it, until leave.
type LSD interface {
	Join(infoHash [20]byte, port int) (found <-chan netip.AddrPort, leave func())
}

// lsdPrivateCheck is how often a magnet's torrent is checked for turning
// out private while it waits for LAN peers.
const lsdPrivateCheck = 5 * time.Second

// runLSD announces the torrent on the LAN and feeds the peers found to the
// loop, until the torrent stops or turns out private. Private torrents are
// never announced (BEP 27), nor is a torrent without a listener to dial.
func (t *Torrent) runLSD() {
	l := t.e.cfg.LSD
	if l == nil || t.private.Load() || t.e.cfg.Port == 0 {
		return
	}
	for i, ih := range t.swarmHashes() { // a hybrid's two swarms
		t.joinLSD(l, ih, i > 0)
	}
}

// joinLSD announces swarm ih of the torrent on the LAN.
func (t *Torrent) joinLSD(l LSD, ih [20]byte, v2 bool) {
	found, leave := l.Join(ih, int(t.e.cfg.Port))
	go func() {
		defer leave()
		ctx, cancel := t.quitContext()
		defer cancel()
		check := time.NewTicker(lsdPrivateCheck)
		defer check.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-check.C:
				if t.private.Load() { // a magnet turned out private
					return
				}
			case ap := <-found:
				if t.private.Load() {
					return
				}
				if !t.post(evPeers{addrs: []string{ap.String()}, source: peers.FromLSD, v2: v2}) {
					return
				}
			}
		}
	}()
}
