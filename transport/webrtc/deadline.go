package webrtc

import (
	"sync"
	"time"
)

// deadline is one direction's net.Conn deadline: a channel that is closed
// once the deadline passes. The timer behind it is armed only when a call
// has to wait (wait): the engine sets a read deadline before every
// message, and most reads find data queued, so arming a timer per set
// would cost a timer per received message (in the browser, a wake-up of
// the Go runtime's timer heap each time).
type deadline struct {
	mu     sync.Mutex
	t      time.Time   // zero: no deadline
	timer  *time.Timer // armed by wait, for t
	gen    uint64      // bumped by set: a stale timer closes nothing
	cancel chan struct{}
}

func newDeadline() *deadline { return &deadline{cancel: make(chan struct{})} }

// set moves the deadline to t; the zero time clears it and a past time fires
// it at once, as net.Conn requires.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop() // one already firing finds gen moved on
	}
	d.timer = nil
	d.gen++
	d.t = t
	if isClosed(d.cancel) {
		d.cancel = make(chan struct{})
	}
	if !t.IsZero() && !time.Now().Before(t) {
		close(d.cancel)
	}
}

// expired reports whether the deadline has passed, arming nothing.
func (d *deadline) expired() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if isClosed(d.cancel) {
		return true
	}
	if !d.t.IsZero() && !time.Now().Before(d.t) {
		close(d.cancel)
		return true
	}
	return false
}

// wait returns a channel closed when the deadline passes, arming its timer
// if it is not yet armed.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.t.IsZero() || d.timer != nil || isClosed(d.cancel) {
		return d.cancel
	}
	dur := time.Until(d.t)
	if dur <= 0 {
		close(d.cancel)
		return d.cancel
	}
	gen := d.gen
	d.timer = time.AfterFunc(dur, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen && !isClosed(d.cancel) {
			close(d.cancel)
		}
	})
	return d.cancel
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
