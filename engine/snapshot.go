package engine

import (
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/session"
)

// Snapshot is a consistent copy of a torrent's state for the API.
type Snapshot struct {
	State      State
	Err        error
	Stats      session.Stats
	Peers      []session.PeerStats
	FileDone   []int64 // verified bytes per file
	Have       *bitfield.Bitfield
	Uploaded   int64 // all-time, including earlier runs
	Downloaded int64
	Check      CheckResult
	AddedAt    time.Time
	Trackers   [][]string
}

// Snapshot copies the torrent's state, from its loop when it runs.
func (t *Torrent) Snapshot() Snapshot {
	s := Snapshot{State: t.State(), Err: t.Err(), AddedAt: t.addedAt, Trackers: t.tiers()}
	info := t.Info()
	if info == nil {
		s.Stats.Left = t.left.Load()
		s.Stats.Peers = int(t.metaPeers.Load())
		return s
	}
	s.FileDone = make([]int64, len(info.Files))
	filled := false
	ready := false
	select {
	case <-t.checked:
		ready = true
	default:
		// The state turns to downloading or seeding a moment before
		// checked closes (the session's first record is saved between):
		// its loop answers once that is done.
		switch t.State() {
		case StateDownloading, StateSeeding, StateFinished:
			ready = true
		}
	}
	if ready {
		filled = t.do(func() {
			s.Check = t.check
			if t.sess == nil {
				return
			}
			now := t.e.clock.Now()
			// Publish the counters now: an idle seed publishes them only
			// on its (rarer) ticks, and a caller asking just after its
			// last peer left wants what it uploaded.
			t.publish(now)
			s.Stats = t.sess.Stats(now)
			s.Peers = t.sess.Peers(now)
			for i := range s.FileDone {
				s.FileDone[i] = t.sess.FileCompleted(i)
			}
			s.Have = t.sess.Have().Clone()
		})
	}
	if !filled || s.Have == nil {
		s.Have = bitfield.New(info.NumPieces())
		s.Stats.NumPieces = info.NumPieces()
		s.Stats.Left = t.left.Load()
	}
	s.Uploaded = t.uploaded.Load()
	s.Downloaded = t.downloaded.Load()
	return s
}
