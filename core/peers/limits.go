package peers

import "time"

// Wanting says the torrent lacks wanted pieces again (a file it had
// skipped is wanted now): candidates left alone because both sides were
// complete are due at once.
func (b *Book) Wanting(now time.Time) {
	for _, c := range b.cands {
		if c.seedWait {
			c.due, c.seedWait = now, false
		}
	}
}

// SetMaxPeers changes the cap on connections, open or being dialled
// (n <= 0: DefaultMaxPeers). Connections beyond a lowered cap are not
// closed: the book dials and accepts none until they fall below it.
func (b *Book) SetMaxPeers(n int) {
	if n <= 0 {
		n = DefaultMaxPeers
	}
	b.cfg.MaxPeers = n
}

// MaxPeers is the cap on connections in force.
func (b *Book) MaxPeers() int { return b.cfg.MaxPeers }
