// A torrent's own speed caps, under (or instead of) the engine's.

package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// errPeerClosed ends a wait for the limiter on a connection that closed.
var errPeerClosed = errors.New("peer connection closed")

// torrentRates are a torrent's caps. Peer goroutines read them; the
// limiters are made on first use and never replaced.
type torrentRates struct {
	once     sync.Once
	upload   *rate.Limiter
	download *rate.Limiter
	// ownOnly: the engine's caps do not apply to this torrent.
	ownOnly atomic.Bool
}

func (r *torrentRates) init() {
	r.once.Do(func() {
		r.upload = rate.NewLimiter(rate.Inf, maxBatchBytes)
		r.download = rate.NewLimiter(rate.Inf, downloadBurst)
	})
}

// SetRates changes this torrent's caps on upload and download, in bytes
// per second (0: none), at once for every connection; with honorEngine
// the engine's caps (Engine.SetRates) apply too, else only these. The
// requests the torrent keeps in flight follow the tighter download cap.
func (t *Torrent) SetRates(upload, download int64, honorEngine bool) bool {
	t.rates.init()
	t.rates.upload.SetLimit(rateOf(upload))
	t.rates.download.SetLimit(rateOf(download))
	t.rates.ownOnly.Store(!honorEngine)
	return t.send(func() {
		if t.sess != nil {
			t.sess.SetMaxOutstanding(maxOutstanding(t.downloadCap()))
		}
	})
}

// Rates are the caps SetRates set (0: none) and whether the engine's
// apply too.
func (t *Torrent) Rates() (upload, download int64, honorEngine bool) {
	t.rates.init()
	of := func(l rate.Limit) int64 {
		if l == rate.Inf {
			return 0
		}
		return int64(l)
	}
	return of(t.rates.upload.Limit()), of(t.rates.download.Limit()), !t.rates.ownOnly.Load()
}

// downloadCap is the tighter of the torrent's and (if it applies) the
// engine's download caps (0: none).
func (t *Torrent) downloadCap() int64 {
	_, own, honor := t.Rates()
	eng := int64(0)
	if honor {
		eng = t.e.downloadRate()
	}
	switch {
	case own == 0:
		return eng
	case eng == 0:
		return own
	}
	return min(own, eng)
}

// limitUpload takes n bytes of upload from the torrent's and the engine's
// limiters before p sends them.
func (p *peerConn) limitUpload(n int) error {
	t := p.t
	t.rates.init()
	if err := waitLimiter(t.e.ctx, t.rates.upload, n, p.closed); err != nil {
		return err
	}
	if t.rates.ownOnly.Load() {
		return nil
	}
	return waitLimiter(t.e.ctx, t.e.upload, n, p.closed)
}

// limitDownload takes n bytes of download from the torrent's and the
// engine's limiters after p received them (waitDownload).
func (p *peerConn) limitDownload(n int) error {
	t := p.t
	t.rates.init()
	if err := waitDownload(t.e.ctx, t.rates.download, n, p.closed); err != nil {
		return err
	}
	if t.rates.ownOnly.Load() || t.e.download == nil {
		return nil
	}
	return waitDownload(t.e.ctx, t.e.download, n, p.closed)
}

// waitLimiter takes n bytes from lim in parts no larger than its burst
// (peers may send blocks larger than 16 KiB), giving up when ctx ends or
// closed is closed.
func waitLimiter(ctx context.Context, lim *rate.Limiter, n int, closed <-chan struct{}) error {
	if lim == nil || lim.Limit() == rate.Inf {
		return nil
	}
	for n > 0 {
		k := min(n, lim.Burst())
		r := lim.ReserveN(time.Now(), k)
		if !r.OK() {
			return fmt.Errorf("limiter: %d bytes exceed its burst", k)
		}
		if d := r.Delay(); d > 0 {
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-closed:
				tm.Stop()
				r.Cancel()
				return errPeerClosed
			case <-ctx.Done():
				tm.Stop()
				r.Cancel()
				return fmt.Errorf("limiter: %w", ctx.Err())
			}
		}
		n -= k
	}
	return nil
}
