package engine

import (
	"sync"
	"time"
)

// Clock is the engine's one source of time: "now" for every decision a
// torrent makes, and the tick that drives the torrent loops. The wall
// clock is the default; tests give the engine a FakeClock and move time
// themselves, so timers, back-off and record saves run on their command.
type Clock interface {
	Now() time.Time
	// Subscribe returns a channel of ticks and the function that ends them.
	// A busy subscriber skips ticks; it is never blocked on.
	Subscribe() (<-chan time.Time, func())
}

// wallDeadline is a socket deadline d from now. Sockets keep the
// operating system's time, whatever clock the engine decides by.
func wallDeadline(d time.Duration) time.Time { return time.Now().Add(d) }

// fanout hands each tick to every subscriber without blocking on any.
// With idleEvery set, a subscriber marked idle (setIdle) gets only every
// idleEvery-th tick: an idle torrent's loop then wakes that much less.
type fanout struct {
	mu        sync.Mutex
	subs      map[<-chan time.Time]*subscriber
	n         int // ticks sent
	idleEvery int // 0: idle subscribers get every tick too
}

type subscriber struct {
	ch   chan time.Time
	idle bool // under fanout.mu
}

func (f *fanout) Subscribe() (<-chan time.Time, func()) {
	ch := make(chan time.Time, 1)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = make(map[<-chan time.Time]*subscriber)
	}
	f.subs[ch] = &subscriber{ch: ch}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

// setIdle marks the subscriber of ch idle or not.
func (f *fanout) setIdle(ch <-chan time.Time, idle bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.subs[ch]; ok {
		s.idle = idle
	}
}

func (f *fanout) send(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	skipIdle := f.idleEvery > 1 && f.n%f.idleEvery != 0
	for _, s := range f.subs {
		if skipIdle && s.idle {
			continue
		}
		select {
		case s.ch <- now:
		default: // a busy loop skips a tick, as a time.Ticker would
		}
	}
}

func (f *fanout) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// idleMarker is a Clock whose ticks to idle loops can be thinned.
type idleMarker interface {
	setIdle(ch <-chan time.Time, idle bool)
}

// wallClock is one ticker shared by every torrent loop. A thousand idle
// torrents with their own tickers wake the runtime a thousand times a
// second at scattered moments; one ticker fanning out wakes it once.
type wallClock struct {
	fanout
	stop chan struct{}
	once sync.Once
}

// idleTickEvery: an idle torrent's loop (seeding, no peer) gets one tick
// of this many.
const idleTickEvery = 5

func newWallClock(every time.Duration) *wallClock {
	c := &wallClock{stop: make(chan struct{})}
	c.idleEvery = idleTickEvery
	go c.run(every)
	return c
}

func (c *wallClock) Now() time.Time { return time.Now() }

func (c *wallClock) run(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.send(now)
		}
	}
}

func (c *wallClock) close() { c.once.Do(func() { close(c.stop) }) }

// FakeClock is a Clock that moves only when told: tests of the engine's
// timing (back-off, periodic saves) run in no real time.
type FakeClock struct {
	fanout
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock starts a fake clock at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now is the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the time by d and ticks once.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.send(now)
}

// Subscribers is how many loops listen for ticks (a test waits for its
// torrent's loop to be running).
func (c *FakeClock) Subscribers() int { return c.subscribers() }
