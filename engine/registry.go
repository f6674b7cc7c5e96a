package engine

import "errors"

// The engine's registry is Braid's one list of running torrents: the
// public API looks torrents up here, and incoming peers find theirs. A
// torrent that is stopping (StopAndSerialize, Remove, shutdown) is
// "leaving": no longer listed or found, but still registered until its
// record is written and its storage closed, so a new start of the same
// torrent waits for it (Departing) instead of opening the same files twice.

// ErrLeaving is returned by Remove on a torrent another call is already
// stopping.
var ErrLeaving = errors.New("torrent is stopping")

// torrent returns the running torrent ih, nil if none (or it is leaving).
func (e *Engine) torrent(ih [20]byte) *Torrent {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.torrents[ih]; t != nil && !t.leaving.Load() {
		return t
	}
	return nil
}

// Torrent returns a running torrent.
func (e *Engine) Torrent(ih [20]byte) (*Torrent, bool) {
	t := e.torrent(ih)
	return t, t != nil
}

// Torrents lists running torrents, in no order.
func (e *Engine) Torrents() []*Torrent {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Torrent, 0, len(e.torrents))
	for _, t := range e.registered() {
		if !t.leaving.Load() {
			out = append(out, t)
		}
	}
	return out
}

// registered lists every registered torrent once (a hybrid is registered
// under two hashes), leaving ones included; e.mu must be held.
func (e *Engine) registered() []*Torrent {
	out := make([]*Torrent, 0, len(e.torrents))
	for ih, t := range e.torrents {
		if ih == t.ih {
			out = append(out, t)
		}
	}
	return out
}

// Departing returns a channel closed once the leaving torrent ih is gone
// (its record written, its storage closed); nil when no torrent ih is
// leaving.
func (e *Engine) Departing(ih [20]byte) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.torrents[ih]; t != nil && t.leaving.Load() {
		return t.gone
	}
	return nil
}

func (e *Engine) forget(t *Torrent) {
	e.mu.Lock()
	for _, ih := range t.swarmHashes() {
		if e.torrents[ih] == t {
			delete(e.torrents, ih)
		}
	}
	e.mu.Unlock()
}

// Handle is what the engine's user attached to the torrent when adding it
// (Spec.Handle): the public API's own torrent value.
func (t *Torrent) Handle() any { return t.userHandle }

// leave marks the torrent leaving; false if another call already did.
func (t *Torrent) leave() bool { return !t.leaving.Swap(true) }

// departed ends the torrent's registration: it is forgotten, and whoever
// waits to start it again may.
func (t *Torrent) departed() {
	t.e.forget(t)
	t.goneOnce.Do(func() { close(t.gone) })
}
