package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWallClockFansOutAndUnsubscribes(t *testing.T) {
	c := newWallClock(5 * time.Millisecond)
	defer c.close()
	a, stopA := c.Subscribe()
	b, stopB := c.Subscribe()
	defer stopB()
	for _, ch := range []<-chan time.Time{a, b} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("no tick")
		}
	}
	stopA()
	// Drain what was already buffered, then a removed subscriber gets nothing.
	select {
	case <-a:
	default:
	}
	<-b
	<-b
	select {
	case <-a:
		t.Fatal("tick after unsubscribe")
	default:
	}
	require.Equal(t, 1, c.subscribers())
}

func TestFakeClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewFakeClock(start)
	ticks, stop := c.Subscribe()
	defer stop()
	require.Equal(t, start, c.Now())
	select {
	case <-ticks:
		t.Fatal("a fake clock ticked by itself")
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(3 * time.Second)
	require.Equal(t, start.Add(3*time.Second), c.Now())
	require.Equal(t, start.Add(3*time.Second), <-ticks)
	// A subscriber that has not read its tick is skipped, not waited for.
	c.Advance(time.Second)
	c.Advance(time.Second)
	require.Equal(t, start.Add(4*time.Second), <-ticks)
	require.Equal(t, 1, c.Subscribers())
}
