package engine

import "golang.org/x/time/rate"

// rateOf is a limiter's rate for a cap in bytes per second (0: none).
func rateOf(bytesPerSec int64) rate.Limit {
	if bytesPerSec <= 0 {
		return rate.Inf
	}
	return rate.Limit(bytesPerSec)
}

// SetRates changes the caps on upload and download to all peers, in bytes
// per second (0: none), at once for every connection.
func (e *Engine) SetRates(upload, download int64) {
	e.upload.SetLimit(rateOf(upload))
	e.download.SetLimit(rateOf(download))
}

// Rates are the caps SetRates (or Config) set, in bytes per second (0: none).
func (e *Engine) Rates() (upload, download int64) {
	of := func(l rate.Limit) int64 {
		if l == rate.Inf {
			return 0
		}
		return int64(l)
	}
	return of(e.upload.Limit()), of(e.download.Limit())
}

// downloadRate is the download cap in force (0: none); a session starting
// sizes its requests in flight by it.
func (e *Engine) downloadRate() int64 {
	_, down := e.Rates()
	return down
}
