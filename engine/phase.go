// The torrent loop drives one phase at a time: a magnet's metadata phase
// until the info dictionary is known (metadata.go), then the session.

package engine

import (
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// phase is what the loop hands connections, messages and ticks to. Both
// phases take the same events, so the loop has one shape before and after
// the info dictionary is known.
type phase interface {
	// AddPeer takes a connection just admitted.
	AddPeer(p *peerConn, now time.Time)
	// Message handles a message from a connected peer.
	Message(p *peerConn, m *wire.Message, now time.Time)
	// PeerClosed forgets a connection that ended by itself (the peer
	// closed it, or reading or writing failed).
	PeerClosed(p *peerConn, now time.Time)
	// RemovePeer forgets a connection Braid dropped (a duplicate, or all
	// of them at the end).
	RemovePeer(p *peerConn, now time.Time)
	// Tick runs the phase's timers, about once a second.
	Tick(now time.Time)
	// Stop winds the phase down before its peers are closed.
	Stop(now time.Time)
}

// sessionPhase is the phase of a torrent whose info dictionary is known:
// core/session does the work.
type sessionPhase Torrent

// AddPeer hands the peer to the session, which greets it.
func (s *sessionPhase) AddPeer(p *peerConn, now time.Time) { (*Torrent)(s).addToSession(p, now) }

// Message passes a message to the session.
func (s *sessionPhase) Message(p *peerConn, m *wire.Message, now time.Time) {
	s.sess.Message(p.id, m, now)
}

// PeerClosed also remembers where an incoming peer listens, to dial it
// back.
func (s *sessionPhase) PeerClosed(p *peerConn, now time.Time) {
	(*Torrent)(s).rememberListener(p, now)
	s.sess.RemovePeer(p.id, now)
}

// RemovePeer tells the session the peer is gone.
func (s *sessionPhase) RemovePeer(p *peerConn, now time.Time) { s.sess.RemovePeer(p.id, now) }

// Tick runs the session's timers, sends PEX, publishes counters and
// refreshes the resume record when something changed.
func (s *sessionPhase) Tick(now time.Time) {
	t := (*Torrent)(s)
	t.sess.Tick(now)
	t.sendPEX(now)
	t.publish(now)
	if now.Sub(t.lastSave) >= recordEvery && t.recordChanged() {
		t.saveRecord(now)
	}
}

// Stop cancels requests, says we are no longer interested, and publishes
// the final counters.
func (s *sessionPhase) Stop(now time.Time) {
	s.sess.Stop(now)
	(*Torrent)(s).publish(now)
}
