// Changing a running torrent's trackers.

package engine

import (
	"context"
	"slices"
)

// SetTrackers replaces the torrent's trackers (BEP 12 tiers, WebSocket
// signalling trackers among them) while it runs: the announcers stop
// without telling the old trackers and start again with the new list,
// which the resume record keeps. False if the torrent has stopped.
func (t *Torrent) SetTrackers(tiers [][]string) bool {
	cp := make([][]string, 0, len(tiers))
	for _, tier := range tiers {
		if len(tier) > 0 {
			cp = append(cp, slices.Clone(tier))
		}
	}
	t.annMu.Lock()
	t.pendingTiers = &cp // what Trackers reports until the loop takes it
	t.annMu.Unlock()
	return t.send(func() {
		// Cancelled, the announcers end at once: no network wait here.
		_ = t.stopAnnouncer(context.Background(), false)
		t.annMu.Lock()
		t.spec.Tiers = cp
		if t.pendingTiers == &cp {
			t.pendingTiers = nil
		}
		t.announcer, t.annOthers = nil, nil // the stopped ones report nothing
		t.annMu.Unlock()
		t.startAnnouncer()
		if t.sess != nil {
			t.saveRecord(t.e.clock.Now())
		}
	})
}

// tiers are the torrent's trackers (the last SetTrackers asked for), for
// any goroutine.
func (t *Torrent) tiers() [][]string {
	t.annMu.Lock()
	defer t.annMu.Unlock()
	if t.pendingTiers != nil {
		return *t.pendingTiers
	}
	return t.spec.Tiers
}
