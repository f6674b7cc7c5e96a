package braid

import (
	"encoding/hex"
	"time"

	"github.com/braid-bt/braid/engine"
)

// RecordStatus says what Download found in the state directory.
type RecordStatus string

// Resume record outcomes.
const (
	RecordNone    RecordStatus = "none"    // first start
	RecordOK      RecordStatus = "ok"      // record loaded; its pieces are verified on disk
	RecordCorrupt RecordStatus = "corrupt" // torn or foreign record: reported and ignored
)

// CheckResult reports the verification of data found on disk at start.
type CheckResult = engine.CheckResult

// Torrent is an active torrent.
type Torrent struct {
	t      *engine.Torrent
	c      *Client
	record RecordStatus
	added  time.Time
}

// InfoHash identifies the torrent.
func (t *Torrent) InfoHash() InfoHash { return InfoHash(t.t.InfoHash()) }

// InfoHashV2 is the torrent's BitTorrent v2 info hash (BEP 52) in 64 hex
// characters; empty for a v1 torrent.
func (t *Torrent) InfoHashV2() string {
	h := t.t.InfoHashV2()
	if h == ([32]byte{}) {
		return ""
	}
	return hex.EncodeToString(h[:])
}

// Protocol is the torrent's kind: "v1", "v2" (BEP 52 only) or "hybrid"
// (both); "" until a magnet's metadata arrives.
func (t *Torrent) Protocol() string { return t.t.Protocol() }

// Name is the torrent's suggested name (a magnet's dn, or its info hash,
// until the metadata arrives).
func (t *Torrent) Name() string { return t.t.Name() }

// Length is the size of the torrent's files in bytes (0 until a magnet's
// metadata arrives). BEP 47 padding, zeros that are neither stored nor
// downloaded, is not counted.
func (t *Torrent) Length() int64 {
	if t.t.Info() == nil {
		return 0
	}
	return t.t.FilesLength() // counted once, not per call
}

// HasMetadata reports whether the info dictionary is known.
func (t *Torrent) HasMetadata() bool { return t.t.Info() != nil }

// RecordStatus tells whether a resume record was used.
func (t *Torrent) RecordStatus() RecordStatus { return t.record }

// Checked is closed once the data on disk has been verified.
func (t *Torrent) Checked() <-chan struct{} { return t.t.Checked() }

// CheckResult waits for Checked and reports pieces checked, valid, invalid.
func (t *Torrent) CheckResult() CheckResult { return t.t.CheckResult() }

// Completed is closed when every wanted piece is downloaded and verified.
func (t *Torrent) Completed() <-chan struct{} { return t.t.Completed() }

// Stopped is closed when the torrent has stopped (stop, remove, or error).
func (t *Torrent) Stopped() <-chan struct{} { return t.t.Stopped() }

// Err is the error that stopped the torrent (a full disk, say), or nil.
func (t *Torrent) Err() error { return t.t.Err() }

// State is "fetching metadata", "checking", "downloading", "seeding"
// (every piece verified), "finished" (every piece of the chosen files
// verified, others missing), "stopped" or "error".
func (t *Torrent) State() string { return string(t.t.State()) }

// Transfer is a torrent's byte counts as its loop last published them
// (each second, and when it stops). Reading it costs the torrent nothing,
// which Stats (a consistent copy taken by the torrent's loop) does not.
type Transfer struct {
	Uploaded   int64 // all-time, as Stats' "uploaded"
	Downloaded int64 // all-time
	Fetched    int64 // this run, as Stats' "fetched"
}

// Transfer returns the torrent's published byte counts.
func (t *Torrent) Transfer() Transfer {
	up, down, fetched := t.t.Transferred()
	return Transfer{Uploaded: up, Downloaded: down, Fetched: fetched}
}

type snapshot = engine.Snapshot

func (t *Torrent) snapshot() snapshot { return t.t.Snapshot() }

// Reannounce asks the torrent's trackers for peers now, within the
// re-announce floor (Config.TrackerMinInterval); false when it has no
// tracker announcer running.
func (t *Torrent) Reannounce() bool { return t.t.Reannounce() }
