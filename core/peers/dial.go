package peers

import (
	"slices"
	"time"
)

// Dials returns the candidates to dial now and marks them in flight: each
// counts against MaxPeers until DialFailed or Connected (as outgoing)
// reports it back. room is what the caller's own limits allow (the
// engine's half-open dials); the book adds MaxPeers, counting open
// connections and dials in flight.
//
// Among the candidates due (not in flight, not backing off, not
// connected), user-named ones come first, then the earliest due (a new
// candidate is due when added), then the higher BEP 40 rank once SetSelf
// has told the book our address (ranked before unranked), then the first
// added. A candidate due
// whose IP Config.Blocked now reports is forgotten instead.
func (b *Book) Dials(now time.Time, room int) []string {
	room = min(room, b.cfg.MaxPeers-len(b.conns)-b.dialing)
	if b.halted || room <= 0 {
		return nil
	}
	var due []*candidate
	for _, c := range b.cands {
		if _, connected := b.byAddr[c.addr]; !connected && !now.Before(c.due) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, dialOrder)
	if b.cfg.Blocked != nil {
		due = slices.DeleteFunc(due, func(c *candidate) bool {
			if b.blocked(c.ip) {
				delete(b.cands, c.addr)
				return true
			}
			return false
		})
	}
	due = due[:min(room, len(due))]
	out := make([]string, len(due))
	for i, c := range due {
		c.due = now.Add(inFlightWait)
		c.dialed = now
		b.dialing++
		out[i] = c.addr
	}
	return out
}

// dialOrder sorts candidates due: named first, then by due time, then by
// rank, then by arrival. seq is unique, so the order is total.
func dialOrder(x, y *candidate) int {
	switch {
	case x.named != y.named:
		if x.named {
			return -1
		}
		return 1
	case !x.due.Equal(y.due):
		return x.due.Compare(y.due)
	case x.ranked != y.ranked:
		if x.ranked {
			return -1
		}
		return 1
	case x.ranked && x.prio != y.prio:
		if x.prio > y.prio {
			return -1
		}
		return 1
	}
	return compareSeq(x.seq, y.seq)
}

func compareSeq(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Failure says how a dial failed.
type Failure uint8

// Dial failures.
const (
	// DialError: refused, unreachable, timed out, or the handshake failed.
	// The candidate waits fails²×15 s.
	DialError Failure = iota
	// DialSelf: the address is our own. It is forgotten at once, named or not.
	DialSelf
	// DialBlocked: the peer's IP is blocked (the address named a host that
	// resolved to a blocked IP). It is forgotten at once, named or not.
	DialBlocked
)

// DialFailed reports a dial from Dials that made no connection. The
// candidate waits fails²×15 s (a named one at most 5 minutes); an unnamed
// one is forgotten after 5 failures in a row.
func (b *Book) DialFailed(addr string, f Failure, now time.Time) {
	b.dialDone()
	c, ok := b.cands[addr]
	if !ok {
		return // banned meanwhile
	}
	c.fails++
	c.closes = 0
	if (c.fails >= maxFails && !c.named) || f == DialSelf || f == DialBlocked {
		delete(b.cands, addr)
		return
	}
	// Past maxFails the wait is over maxWait anyway; the cap keeps the
	// square from overflowing for a named peer that never answers.
	n := time.Duration(min(c.fails, maxFails))
	wait := n * n * dialFailWait
	if c.named {
		wait = min(wait, maxWait)
	}
	c.due = now.Add(wait)
}

func (b *Book) dialDone() {
	if b.dialing > 0 {
		b.dialing--
	}
}
