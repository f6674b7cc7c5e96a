package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/picker"
)

// Errors of ReadAt.
var (
	ErrNoMetadata = errors.New("torrent metadata not known yet")
	ErrStopped    = errors.New("torrent stopped")
)

// readAhead is how many pieces past a streaming read are raised too, so
// playback does not stall at each piece boundary.
const readAhead = 4

// ReadAt reads len(p) torrent bytes at off, waiting until the pieces that
// hold them are verified; while it waits those pieces (and a few after)
// are fetched first. It is how the browser streams a video that is still
// downloading, and how finished files are read for saving.
func (t *Torrent) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	info := t.Info()
	if info == nil {
		return 0, ErrNoMetadata
	}
	if off < 0 || off+int64(len(p)) > info.Length {
		return 0, fmt.Errorf("read %d bytes at %d of %d: out of range", len(p), off, info.Length)
	}
	if len(p) == 0 {
		return 0, nil
	}
	first := int(off / info.PieceLength)
	last := int((off + int64(len(p)) - 1) / info.PieceLength)
	// Pieces arrive from peers at their pace; polling the loop is cheap
	// and needs no per-piece waiter bookkeeping.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ready, ok := t.piecesReady(first, last)
		if !ok {
			return 0, fmt.Errorf("read: %w", ErrStopped)
		}
		if ready {
			n, err := t.storage.ReadAt(p, off)
			if err != nil && n < len(p) {
				return n, fmt.Errorf("read: %w", err)
			}
			return n, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.quit:
			return 0, fmt.Errorf("read: %w", ErrStopped)
		case <-tick.C:
		}
	}
}

// piecesReady reports (on the loop) whether pieces first..last are
// verified, raising the missing ones (and a few after) to the top priority;
// a reader wants even pieces of files the user deselected.
func (t *Torrent) piecesReady(first, last int) (ready, ok bool) {
	ok = t.do(func() {
		if t.sess == nil {
			return
		}
		have := t.sess.Have()
		ready = true
		for i := first; i <= last; i++ {
			if !have.Has(i) {
				ready = false
			}
		}
		if ready {
			return
		}
		n := t.info.NumPieces()
		for i := first; i <= last+readAhead && i < n; i++ {
			if !have.Has(i) && t.sess.PiecePriority(i) != picker.PriorityNow {
				t.sess.SetPiecePriority(i, picker.PriorityNow)
			}
		}
	})
	return ready, ok
}
