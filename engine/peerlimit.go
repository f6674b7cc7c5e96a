package engine

import (
	"maps"
	"slices"
)

// SetMaxPeers changes this torrent's cap on connections (n <= 0: the
// engine's MaxPeersPerTorrent). Connections beyond a lowered cap are
// closed, the least useful first as the book ranks them; a raised cap is
// filled from the candidates. False if the torrent has stopped.
func (t *Torrent) SetMaxPeers(n int) bool {
	if n <= 0 {
		n = t.e.cfg.MaxPeersPerTorrent
	}
	t.maxPeers.Store(int64(n))
	return t.send(func() {
		now := t.e.clock.Now()
		t.book.SetMaxPeers(n)
		if extra := len(t.peers) - n; extra > 0 {
			// The newest connections go: they have shown the least. They
			// leave the book and the table now, not when their readers
			// notice: until then an incoming peer could evict one of them
			// and take a place beside the ones kept.
			ids := slices.Sorted(maps.Keys(t.peers))
			for _, id := range ids[len(ids)-extra:] {
				p := t.peers[id]
				t.dropPeer(p)
				t.phase.RemovePeer(p, now)
			}
		}
		t.fillPeers(now)
	})
}

// MaxPeers is this torrent's cap on connections.
func (t *Torrent) MaxPeers() int {
	if n := t.maxPeers.Load(); n > 0 {
		return int(n)
	}
	return t.e.cfg.MaxPeersPerTorrent
}
