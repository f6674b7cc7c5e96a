package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestIdleSubscribersGetFewerTicks: with idleEvery 5, a subscriber marked
// idle gets one tick of five, the others every tick; unmarked, it gets
// every tick again. A FakeClock (idleEvery 0) thins nothing.
func TestIdleSubscribersGetFewerTicks(t *testing.T) {
	f := &fanout{idleEvery: 5}
	busy, endBusy := f.Subscribe()
	defer endBusy()
	quiet, endQuiet := f.Subscribe()
	defer endQuiet()
	f.setIdle(quiet, true)
	count := func(ch <-chan time.Time, n *int) {
		select {
		case <-ch:
			*n++
		default:
		}
	}
	var nb, nq int
	for range 20 {
		f.send(time.Now())
		count(busy, &nb)
		count(quiet, &nq)
	}
	require.Equal(t, 20, nb)
	require.Equal(t, 4, nq)
	f.setIdle(quiet, false)
	nq = 0
	for range 5 {
		f.send(time.Now())
		count(quiet, &nq)
	}
	require.Equal(t, 5, nq)

	fc := NewFakeClock(time.Unix(0, 0))
	ch, end := fc.Subscribe()
	defer end()
	fc.setIdle(ch, true)
	n := 0
	for range 3 {
		fc.Advance(time.Second)
		count(ch, &n)
	}
	require.Equal(t, 3, n, "a fake clock ticks every loop")
}
