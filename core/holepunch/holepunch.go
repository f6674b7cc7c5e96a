// Package holepunch decides BEP 55 (ut_holepunch) for one torrent: which
// peer can introduce us to a candidate we failed to reach, when to ask it,
// and how many introductions and connect requests each peer may cause, so
// that neither a relay nor a flood of connect messages can be abused.
//
// Like the rest of core it is sans-I/O and deterministic: the caller
// passes the time in, sends the messages and dials what it is told to.
// Peers are the caller's connection ids.
package holepunch

import (
	"net/netip"
	"time"
)

// Limits.
const (
	// MaxIntroduced bounds the candidates remembered with their introducer.
	MaxIntroduced = 2000
	// AskEvery is how often at most we ask for an introduction to one
	// candidate.
	AskEvery = 5 * time.Minute
	// Burst and Refill bound each peer: the rendezvous it asks us to relay,
	// and, separately, the connect messages it sends us; Burst at once,
	// then one more every Refill.
	Burst  = 8
	Refill = 10 * time.Second
)

// State is one torrent's holepunch bookkeeping. Make one with New.
type State struct {
	intro   map[netip.AddrPort]int // candidate -> the peer whose PEX named it as holepunch-capable
	order   []netip.AddrPort       // intro's keys, oldest first, to bound it
	asked   map[netip.AddrPort]time.Time
	relays  map[int]*bucket
	connect map[int]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns empty bookkeeping.
func New() *State {
	return &State{
		intro: map[netip.AddrPort]int{}, asked: map[netip.AddrPort]time.Time{},
		relays: map[int]*bucket{}, connect: map[int]*bucket{},
	}
}

// Introduced records that peer by named ap in PEX with the holepunch flag:
// by is connected to ap and can relay a rendezvous to it. The latest
// introducer wins; past MaxIntroduced the oldest entry is forgotten.
func (s *State) Introduced(by int, ap netip.AddrPort) {
	ap = canon(ap)
	if _, ok := s.intro[ap]; !ok {
		if len(s.order) >= MaxIntroduced {
			delete(s.intro, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, ap)
	}
	s.intro[ap] = by
}

// PeerGone forgets what peer id introduced and its rate budgets.
func (s *State) PeerGone(id int) {
	kept := s.order[:0]
	for _, ap := range s.order {
		if s.intro[ap] == id {
			delete(s.intro, ap)
			continue
		}
		kept = append(kept, ap)
	}
	s.order = kept
	delete(s.relays, id)
	delete(s.connect, id)
}

// Rendezvous is asked after a dial to ap failed: it returns the peer to
// send a rendezvous for ap to, at most once per AskEvery for ap, and only
// when a peer introduced ap.
func (s *State) Rendezvous(ap netip.AddrPort, now time.Time) (via int, ok bool) {
	ap = canon(ap)
	via, ok = s.intro[ap]
	if !ok {
		return 0, false
	}
	if last, seen := s.asked[ap]; seen && now.Sub(last) < AskEvery {
		return 0, false
	}
	if len(s.asked) >= MaxIntroduced {
		for k, t := range s.asked { // forget expired entries; map order is irrelevant: all expired go
			if now.Sub(t) >= AskEvery {
				delete(s.asked, k)
			}
		}
		if len(s.asked) >= MaxIntroduced {
			return 0, false
		}
	}
	s.asked[ap] = now
	return via, true
}

// AllowRelay reports whether peer from may have one more rendezvous
// relayed now.
func (s *State) AllowRelay(from int, now time.Time) bool { return take(s.relays, from, now) }

// AllowConnect reports whether we act on one more connect message from
// peer from now.
func (s *State) AllowConnect(from int, now time.Time) bool { return take(s.connect, from, now) }

func take(m map[int]*bucket, id int, now time.Time) bool {
	b := m[id]
	if b == nil {
		b = &bucket{tokens: Burst, last: now}
		m[id] = b
	}
	if now.After(b.last) {
		b.tokens = min(Burst, b.tokens+float64(now.Sub(b.last))/float64(Refill))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func canon(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
