// Pieces lost under a running torrent: a file truncated or deleted while
// we seed it. An upload that cannot read its block makes the loop hash the
// piece again; if what is on disk no longer matches, the session takes the
// piece back (lt_donthave to peers that speak BEP 54) and it is fetched
// again.

package engine

import "time"

type (
	// evUploadReadFailed: a writer could not read a block to upload.
	evUploadReadFailed struct {
		piece int
		err   error
	}
	// evRechecked: the hash of a piece whose upload read failed.
	evRechecked struct {
		piece int
		ok    bool
	}
)

// onUploadReadFailed hashes the piece on disk once more, unless that is
// under way or the piece is not ours.
func (t *Torrent) onUploadReadFailed(piece int, err error) {
	if t.sess == nil || piece < 0 || piece >= t.info.NumPieces() || !t.sess.Have().Has(piece) || t.rechecking[piece] {
		return
	}
	if t.rechecking == nil {
		t.rechecking = make(map[int]bool)
	}
	t.rechecking[piece] = true
	t.e.cfg.Logger.Debug("upload read failed; checking the piece", "piece", piece, "err", err)
	t.e.hasher.submit(hashJob{
		src: t.storage, off: t.info.PieceOffset(piece), length: t.info.PieceSize(piece),
		pieceLength: t.info.PieceLength, want: t.want(piece),
		done: func(ok bool, err error) { t.post(evRechecked{piece: piece, ok: ok && err == nil}) },
	})
}

// onRechecked takes back a piece whose data no longer matches.
func (t *Torrent) onRechecked(piece int, ok bool, now time.Time) {
	delete(t.rechecking, piece)
	if ok || t.sess == nil {
		return // a passing read error: the piece is intact
	}
	t.e.cfg.Logger.Warn("piece lost: its data on disk is gone or changed; fetching it again", "piece", piece)
	t.sess.LosePiece(piece, now)
	if !t.sess.Complete() {
		if s := t.State(); s == StateSeeding || s == StateFinished {
			t.state.Store(StateDownloading)
		}
	}
	t.publish(now)
	t.saveRecord(now)
}
