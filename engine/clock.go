package engine

import (
	"sync"
	"time"
)

// clock is one 1 s ticker shared by every torrent loop. A thousand idle
// torrents with their own tickers wake the runtime a thousand times a
// second at scattered moments; one ticker fanning out wakes it once.
type clock struct {
	mu   sync.Mutex
	subs map[chan time.Time]struct{}
	stop chan struct{}
	once sync.Once
}

func newClock(every time.Duration) *clock {
	c := &clock{subs: make(map[chan time.Time]struct{}), stop: make(chan struct{})}
	go c.run(every)
	return c
}

func (c *clock) run(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.mu.Lock()
			for ch := range c.subs {
				select {
				case ch <- now:
				default: // a busy loop skips a tick, as a time.Ticker would
				}
			}
			c.mu.Unlock()
		}
	}
}

// subscribe returns a channel of ticks and the function that ends them.
func (c *clock) subscribe() (<-chan time.Time, func()) {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

func (c *clock) close() { c.once.Do(func() { close(c.stop) }) }
