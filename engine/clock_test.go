package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClockFansOutAndUnsubscribes(t *testing.T) {
	c := newClock(5 * time.Millisecond)
	defer c.close()
	a, stopA := c.subscribe()
	b, stopB := c.subscribe()
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
	c.mu.Lock()
	require.Len(t, c.subs, 1)
	c.mu.Unlock()
}
