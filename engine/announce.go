package engine

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/tracker"
)

// startAnnouncer runs the torrent's trackers (BEP 12 tiers) in their own
// goroutine; peers they find come back to the loop as events.
func (t *Torrent) startAnnouncer() {
	tiers, signal := splitSignalTiers(t.spec.Tiers)
	t.startSignallers(signal)
	if len(tiers) == 0 || t.e.cfg.NoClassicTrackers {
		return
	}
	ctx, cancel := context.WithCancel(t.e.ctx)
	// A hybrid announces both of its swarms to the same trackers.
	var anns []*tracker.Announcer
	for i, ih := range t.swarmHashes() {
		anns = append(anns, t.newAnnouncer(tiers, ih, i > 0))
	}
	done := make(chan struct{})
	wg := &sync.WaitGroup{}
	// Trackers reads these from other goroutines.
	t.annMu.Lock()
	t.announcer, t.annCancel, t.annDone = anns[0], cancel, done
	t.annOthers = anns[1:]
	t.annTiers, t.annCtx, t.annWG = tiers, ctx, wg
	for _, a := range anns {
		wg.Go(func() { a.Run(ctx) })
	}
	t.annMu.Unlock()
	go func() {
		defer close(done)
		wg.Wait()
	}()
}

// newAnnouncer announces swarm ih (a hybrid's v2 swarm if v2) to the
// trackers of tiers.
func (t *Torrent) newAnnouncer(tiers [][]string, ih [20]byte, v2 bool) *tracker.Announcer {
	return tracker.NewAnnouncer(tiers, tracker.AnnouncerConfig{
		InfoHash: ih, PeerID: t.e.cfg.PeerID, Port: t.e.cfg.Port,
		Status: func() (int64, int64, int64) {
			return t.uploaded.Load(), t.downloaded.Load(), t.left.Load()
		},
		OnPeers: func(found []netip.AddrPort) {
			addrs := make([]string, 0, len(found))
			for _, p := range found {
				addrs = append(addrs, p.String())
			}
			go t.post(evPeers{addrs: addrs, source: peers.FromTracker, v2: v2})
		},
		OnError: func(url string, err error) {
			t.e.cfg.Logger.Debug("tracker", "url", url, "err", err)
		},
		NumWant:       80,
		MinInterval:   t.e.cfg.TrackerMinInterval,
		ClientOptions: t.e.cfg.TrackerOptions,
	})
}

// announceAlias starts announcing a hybrid's v2 swarm learnt after the
// start (a btih magnet's metadata), beside the running announcers.
func (t *Torrent) announceAlias() {
	t.annMu.Lock()
	defer t.annMu.Unlock()
	if t.annCancel == nil || t.annWG == nil {
		return // no trackers, or stopped
	}
	a := t.newAnnouncer(t.annTiers, t.alias, true)
	t.annOthers = append(t.annOthers, a)
	ctx := t.annCtx
	t.annWG.Go(func() { a.Run(ctx) })
}

// stopAnnouncer ends the announcer; with sendStopped it first tells the
// trackers (bounded by ctx).
func (t *Torrent) stopAnnouncer(ctx context.Context, sendStopped bool) error {
	t.stopSignallers()
	t.annMu.Lock()
	defer t.annMu.Unlock()
	if t.announcer == nil || t.annCancel == nil {
		return nil
	}
	var err error
	if sendStopped {
		err = t.announcer.Stop(ctx)
		for _, a := range t.annOthers {
			err = errors.Join(err, a.Stop(ctx))
		}
	}
	t.annCancel()
	<-t.annDone
	t.annCancel = nil
	return err
}

// Trackers reports each tracker's last outcome (nil without trackers).
func (t *Torrent) Trackers() []tracker.TrackerStatus {
	t.annMu.Lock()
	a := t.announcer
	t.annMu.Unlock()
	var out []tracker.TrackerStatus
	if a != nil {
		out = a.Status()
	}
	tiers := 0
	for _, st := range out {
		tiers = max(tiers, st.Tier+1)
	}
	return append(out, t.signalTrackers(tiers)...)
}

// Reannounce asks the trackers for peers now (within the announcer's
// floor); false when the torrent has no tracker announcer running.
func (t *Torrent) Reannounce() bool {
	t.annMu.Lock()
	a, others := t.announcer, t.annOthers
	t.annMu.Unlock()
	if a == nil {
		return false
	}
	a.Reannounce()
	for _, o := range others {
		o.Reannounce()
	}
	return true
}
