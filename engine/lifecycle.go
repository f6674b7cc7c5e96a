// A torrent's life after the check: the session's start, completion,
// and the ways it ends (stop and serialize, remove, engine shutdown).

package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
)

// startSession creates the state machine once the info dictionary is known
// and its data checked.
func (t *Torrent) startSession(now time.Time) {
	cfg := session.Config{
		Rand:           rand.New(rand.NewPCG(uint64(now.UnixNano()), uint64(t.ih[0])<<8|uint64(t.ih[1]))),
		ExtHandshake:   t.extHandshake(),
		MaxOutstanding: maxOutstanding(t.downloadCap()),
		InfoHash:       t.ih,
	}
	t.sess = session.New(t.info, t.startHave, cfg, (*torrentOut)(t), now)
	t.sess.SetSuperSeed(t.superSeed.Load())
	t.phase = (*sessionPhase)(t)
	t.startHave = nil
	switch rec := t.spec.Record; {
	case len(t.spec.SelectOnly) > 0:
		sel := make(map[int]bool, len(t.spec.SelectOnly))
		for _, f := range t.spec.SelectOnly {
			sel[f] = true
		}
		for f := range t.info.Files {
			if !sel[f] {
				t.sess.SetFilePriority(f, picker.PriorityNone)
			}
		}
	case rec != nil && len(rec.FilePriorities) == len(t.info.Files):
		// The choice of files made when the torrent was added outlives a
		// restart; a value no priority has counts as normal.
		for f, code := range rec.FilePriorities {
			if pr, ok := priorityOfRecord(code); ok && pr != picker.PriorityNormal {
				t.sess.SetFilePriority(f, pr)
			}
		}
	}
	t.applyFilePriorities()
	if t.sess.Complete() {
		t.markComplete(now, false)
	} else {
		t.state.Store(StateDownloading)
	}
	t.publish(now)
	// A record from the first second on: after a crash the restart knows
	// the torrent and its save path even if no later save happened.
	t.saveRecord(now)
	if !t.sess.Complete() {
		t.startWebSeeds()
	}
}

// maxOutstanding is the requests a torrent keeps in flight under a
// download rate limit: downloadQueueTime's worth at that rate, at least
// four blocks (0, no cap, without a limit).
func maxOutstanding(downloadRate int64) int {
	if downloadRate <= 0 {
		return 0
	}
	return max(4, int(downloadRate*int64(downloadQueueTime/time.Second)/wire.BlockSize))
}

// downloadQueueTime is how long the requests in flight take to arrive
// under a download rate limit: long enough to keep peers busy, well short
// of the session's request timeout.
const downloadQueueTime = 4 * time.Second

// markComplete runs when every wanted piece is verified: the torrent seeds
// when it has every piece, and has finished its file selection otherwise.
func (t *Torrent) markComplete(now time.Time, announce bool) {
	if t.sess.Have().All() {
		t.state.Store(StateSeeding)
	} else {
		t.state.Store(StateFinished)
	}
	if t.completedAt.Load() == 0 {
		t.completedAt.Store(now.Unix())
	}
	select {
	case <-t.completed:
	default:
		close(t.completed)
	}
	if announce && t.announcer != nil {
		t.announcer.Completed()
	}
	if announce {
		t.signalCompleted()
	}
	if announce {
		t.saveRecord(now)
	}
}

// shutdown ends the loop and saves the record as a stop would, without
// telling trackers (engine close).
func (t *Torrent) shutdown() {
	if !t.leave() {
		<-t.gone // another call is stopping it
		return
	}
	t.endLoop()
	t.stopAnnouncer(context.Background(), false)
	if t.sess != nil { // the loop has ended: its state may be read
		if err := t.writeRecord(t.buildRecord()); err != nil {
			t.e.cfg.Logger.Warn("resume record at shutdown", "name", t.Name(), "err", err)
		}
	}
	t.closeStorage()
	t.departed()
}

// endLoop stops the torrent's loop and waits for it; its state may then
// be read from any one goroutine.
func (t *Torrent) endLoop() {
	t.quitOnce.Do(func() { close(t.quit) })
	<-t.loopDone
}

// StopAndSerialize stops requests, closes peers, tells trackers we stopped,
// writes the resume record and ends the torrent. ctx bounds the tracker
// step. A torrent another call is already stopping is waited for.
func (t *Torrent) StopAndSerialize(ctx context.Context) error {
	if !t.leave() {
		<-t.gone
		return nil
	}
	defer t.departed()
	ran := t.do(func() {
		t.phase.Stop(t.e.clock.Now())
		t.stopping = true
		t.book.Halt()
		// Flush Cancel/NotInterested before closing: peers drop us cleanly.
		for _, p := range t.peers {
			p.signal()
		}
	})
	t.endLoop()
	if !ran && t.sess == nil { // stopped during checking: nothing learnt to save
		t.stopAnnouncer(context.Background(), false)
		t.closeStorage()
		return t.Err()
	}
	annErr := t.stopAnnouncer(ctx, true)
	t.state.Store(StateStopped)
	err := t.writeRecord(t.buildRecord())
	t.closeStorage()
	if annErr != nil {
		t.e.cfg.Logger.Debug("tracker stop", "err", annErr)
	}
	return err
}

// Remove ends the torrent, deletes its resume record and, if asked, its
// data. ErrLeaving: another call was already stopping it (then waited for).
func (t *Torrent) Remove(deleteData bool) error {
	if !t.leave() {
		<-t.gone
		return ErrLeaving
	}
	defer t.departed()
	t.endLoop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.stopAnnouncer(ctx, true)
	t.state.Store(StateStopped)
	var errs []error
	if t.spec.State != nil {
		if err := t.spec.State.Delete(t.ih); err != nil && !errors.Is(err, persist.ErrNoRecord) {
			errs = append(errs, fmt.Errorf("delete resume record: %w", err))
		}
	}
	if deleteData {
		if d, ok := t.storage.(interface{ DeleteData() error }); ok {
			if err := d.DeleteData(); err != nil {
				errs = append(errs, fmt.Errorf("delete data: %w", err))
			}
		}
	}
	t.closeStorage()
	return errors.Join(errs...)
}

// closeStorage releases the data files (none before a magnet's metadata).
func (t *Torrent) closeStorage() {
	if t.storage != nil {
		_ = t.storage.Close()
	}
}
