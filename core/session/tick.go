package session

import (
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// Tick advances timers; the engine calls it about once a second. It updates
// rates, cancels requests that timed out, marks snubbed peers, runs the
// choke round every ChokeInterval (rotating the optimistic unchoke every
// OptimisticInterval) and refills request pipelines.
func (s *Session) Tick(now time.Time) {
	s.touch(now)
	s.down.update(now)
	s.up.update(now)
	for _, p := range s.order {
		p.down.update(now)
		p.up.update(now)
		s.expire(p, now)
	}
	if !s.stopped {
		if now.Sub(s.lastChoke) >= s.cfg.ChokeInterval {
			rotate := now.Sub(s.lastOptimistic) >= s.cfg.OptimisticInterval
			if rotate {
				s.lastOptimistic = now
			}
			s.chokeRound(now, rotate)
			s.lastChoke = now
		}
		s.refillAll(now)
	}
	s.dropDoomed(now)
}

// Stop ends downloading and uploading: every outstanding request is
// cancelled, every peer is told we are not interested and is choked, and
// no request is sent or served afterwards. Verification results still
// count. Peers stay connected until the engine closes them.
func (s *Session) Stop(now time.Time) {
	s.touch(now)
	if s.stopped {
		return
	}
	s.stopped = true
	for _, p := range s.order {
		for _, r := range p.reqs {
			s.pk.Unrequest(r.b)
			s.sendBlockMsg(p, wire.Cancel, r.b)
		}
		p.reqs = p.reqs[:0]
		p.waitingSince = time.Time{}
		s.updateInterest(p)
		s.choke(p)
	}
	s.optimistic = nil
	clear(s.endgame)
}

// Stopped reports whether Stop was called.
func (s *Session) Stopped() bool { return s.stopped }
