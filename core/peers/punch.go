package peers

import "time"

// Punch hands out addr for a dial at once, outside Dials' order and
// back-off: a BEP 55 relay has just told both ends to connect, and the
// hole it opens lasts only as long as both dial now. addr is the uTP
// address to dial ("utp://ip:port"). False when its host is banned or
// blocked, it (or the same ip:port without the scheme) is connected or
// being dialled, the book is halted, or MaxPeers leaves no room. When
// true, the caller dials addr and reports it back as a Dials address
// (DialFailed, or Connected as outgoing).
func (b *Book) Punch(addr string, now time.Time) bool {
	if b.halted || len(b.conns)+b.dialing >= b.cfg.MaxPeers {
		return false
	}
	plain := trimUTP(addr)
	for _, a := range []string{addr, plain} {
		if _, connected := b.byAddr[a]; connected {
			return false
		}
		if c, ok := b.cands[a]; ok && c.inFlight() {
			return false
		}
	}
	c, ok := b.cands[addr]
	if !ok {
		if !b.Add(addr, FromHolepunch, now) {
			return false
		}
		c = b.cands[addr]
	}
	if b.blocked(c.ip) {
		return false
	}
	c.due = now.Add(inFlightWait)
	c.dialed = now
	b.dialing++
	return true
}

// inFlight reports whether Dials or Punch handed c out and its outcome
// is not reported yet.
func (c *candidate) inFlight() bool {
	return !c.dialed.IsZero() && c.due.Equal(c.dialed.Add(inFlightWait))
}
