package webrtc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func armed(d *deadline) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.timer != nil
}

// A deadline set before every read arms no timer until a read must wait.
func TestDeadlineArmsOnlyWhenWaiting(t *testing.T) {
	d := newDeadline()
	for range 100 {
		d.set(time.Now().Add(time.Minute))
		require.False(t, d.expired())
	}
	require.False(t, armed(d), "set or expired armed a timer")
	ch := d.wait()
	require.True(t, armed(d))
	require.False(t, isClosed(ch))
	d.set(time.Time{})
	require.False(t, armed(d))
	require.False(t, d.expired())
}

func TestDeadlineFires(t *testing.T) {
	d := newDeadline()
	d.set(time.Now().Add(30 * time.Millisecond))
	select {
	case <-d.wait():
	case <-time.After(5 * time.Second):
		t.Fatal("the deadline never fired")
	}
	require.True(t, d.expired())
	// A past deadline is expired at once, without waiting.
	d.set(time.Now().Add(-time.Second))
	require.True(t, d.expired())
	require.True(t, isClosed(d.wait()))
	// Moving it into the future opens it again.
	d.set(time.Now().Add(time.Minute))
	require.False(t, d.expired())
	require.False(t, isClosed(d.wait()))
}

// A timer armed for an earlier deadline closes nothing once the deadline
// has moved on.
func TestDeadlineStaleTimer(t *testing.T) {
	d := newDeadline()
	d.set(time.Now().Add(20 * time.Millisecond))
	_ = d.wait()
	d.set(time.Now().Add(time.Minute))
	ch := d.wait()
	time.Sleep(80 * time.Millisecond)
	require.False(t, isClosed(ch))
	require.False(t, d.expired())
	// The expiry check and the timer closing together never double-close.
	d.set(time.Now().Add(5 * time.Millisecond))
	ch = d.wait()
	for !d.expired() {
		time.Sleep(time.Millisecond)
	}
	<-ch
}
