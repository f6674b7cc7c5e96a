package session

import (
	"math"
	"time"
)

// rateTau is the time constant of the rate averages: long enough to smooth
// bursts, short enough that choking follows real changes.
const rateTau = 5 * time.Second

// rate is an exponential moving average of bytes per second, advanced with
// the time the engine passes in (never the wall clock).
type rate struct {
	acc   int64 // bytes since last
	value float64
	last  time.Time
}

func (r *rate) add(n int) { r.acc += int64(n) }

// update folds the bytes counted since the last update into the average.
// The weight of the new sample grows with the time it covers, so irregular
// ticks give the same result as regular ones.
func (r *rate) update(now time.Time) {
	dt := now.Sub(r.last)
	if dt <= 0 {
		return
	}
	sec := dt.Seconds()
	inst := float64(r.acc) / sec
	a := 1 - math.Exp(-sec/rateTau.Seconds())
	r.value += a * (inst - r.value)
	if r.value < 1e-9 {
		r.value = 0
	}
	r.acc = 0
	r.last = now
}
