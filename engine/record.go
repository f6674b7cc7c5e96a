package engine

import (
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
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
		SuperSeed:   t.superSeed.Load(),
	}
	if !t.info.HasV1() {
		// A v2-only torrent's record is named by its whole v2 hash and
		// keeps the piece layers its pieces verify against.
		r.InfoHash = append([]byte(nil), t.spec.InfoHashV2[:]...)
		r.PieceLayers = metainfo.AppendPieceLayers(nil, t.spec.PieceLayers)
	} else if t.info.HasV2() && t.v2b.hybrid == nil && len(t.spec.PieceLayers) > 0 {
		// A hybrid's, once known (a magnet's are fetched meanwhile).
		r.PieceLayers = metainfo.AppendPieceLayers(nil, t.spec.PieceLayers)
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
		prios[i] = recordPriority(t.filePriority(i))
	}
	r.FilePriorities = prios
	return r
}

// saveRecord refreshes the resume record from the loop (periodically, on
// completion, after a disk error).
func (t *Torrent) saveRecord(now time.Time) {
	t.lastSave = now
	if t.sess == nil {
		return
	}
	rec := t.buildRecord()
	if err := t.writeRecord(rec); err != nil {
		t.e.cfg.Logger.Warn("resume record", "name", t.Name(), "err", err)
		return
	}
	if rec != nil {
		t.savedHave, t.savedUp, t.savedDown = t.sess.Have().Count(), rec.Uploaded, rec.Downloaded
	}
}

// writeRecord is the one way a resume record reaches the state store,
// for periodic saves, StopAndSerialize and shutdown alike: the data is
// synced first, so a record never claims a piece the disk might not hold
// after a crash; the store then writes the record atomically.
func (t *Torrent) writeRecord(rec *persist.Record) error {
	if rec == nil || t.spec.State == nil {
		return nil
	}
	if s, ok := t.storage.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("sync data: %w", err)
		}
	}
	if err := t.spec.State.Save(rec); err != nil {
		return fmt.Errorf("save resume record: %w", err)
	}
	return nil
}
