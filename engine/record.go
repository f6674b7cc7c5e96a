package engine

import (
	"time"

	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/persist"
)

// recordEvery is how often a running torrent refreshes its resume record.
const recordEvery = 10 * time.Second

// buildRecord captures what a restart needs; runs on the loop.
func (t *Torrent) buildRecord() *persist.Record {
	if t.info == nil {
		return nil // nothing to resume from before the metadata arrives
	}
	r := &persist.Record{
		Version:     persist.RecordVersion,
		InfoHash:    append([]byte(nil), t.ih[:]...),
		Info:        t.spec.InfoBytes,
		Name:        t.info.Name,
		Trackers:    t.spec.Tiers,
		URLList:     t.spec.URLList,
		SavePath:    t.spec.SavePath,
		NumPieces:   t.info.NumPieces(),
		Uploaded:    t.uploaded.Load(),
		Downloaded:  t.downloaded.Load(),
		AddedAt:     t.addedAt.Unix(),
		CompletedAt: t.completedAt.Load(),
	}
	if t.sess != nil {
		r.Bitfield = append([]byte(nil), t.sess.Have().Bytes()...)
	} else if t.spec.Record != nil {
		r.Bitfield = t.spec.Record.Bitfield
	}
	if fs, ok := t.storage.(interface{ FileStates() []persist.FileState }); ok {
		r.Files = fs.FileStates()
	}
	prios := make([]int, len(t.info.Files))
	for i := range prios {
		switch {
		case t.sess != nil:
			prios[i] = int(t.sess.FilePriority(i))
		case t.spec.Record != nil && len(t.spec.Record.FilePriorities) == len(prios):
			prios[i] = t.spec.Record.FilePriorities[i]
		default:
			prios[i] = int(picker.PriorityNormal)
		}
	}
	r.FilePriorities = prios
	return r
}

// saveRecord writes the resume record. Data is synced first so that a
// record never claims a piece the disk might not hold after a crash.
func (t *Torrent) saveRecord(now time.Time) {
	t.lastSave = now
	if t.spec.State == nil || t.sess == nil {
		return
	}
	if s, ok := t.storage.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			t.e.cfg.Logger.Warn("sync data", "err", err)
			return
		}
	}
	rec := t.buildRecord()
	if rec == nil {
		return
	}
	if err := t.spec.State.Save(rec); err != nil {
		t.e.cfg.Logger.Warn("save resume record", "err", err)
		return
	}
	t.savedHave, t.savedUp, t.savedDown = t.sess.Have().Count(), rec.Uploaded, rec.Downloaded
}
