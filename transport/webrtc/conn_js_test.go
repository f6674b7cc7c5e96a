//go:build js && wasm

package webrtc

import (
	"bytes"
	"io"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// In the browser a close event can run before the wake-up that hands the
// last received messages to Go. Those messages must still be read before
// the end. The events are dispatched by hand here, so their order is
// certain: three messages reach the JavaScript receiver, then the close
// event, before Go has taken anything.
func TestConnCloseEventAfterQueuedMessages(t *testing.T) {
	_, b := pair(t)
	dc := b.dc.JSValue()
	var want []byte
	for i := 0; i < 3; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		want = append(want, msg...)
		ab := js.Global().Get("Uint8Array").New(len(msg))
		js.CopyBytesToJS(ab, msg)
		event := js.Global().Get("Object").New()
		event.Set("data", ab.Get("buffer"))
		dc.Get("onmessage").Invoke(event)
	}
	dc.Get("onclose").Invoke(js.Global().Get("Object").New())

	require.NoError(t, b.SetReadDeadline(time.Now().Add(10*time.Second)))
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// A receiver that overflowed closes its channel; whichever of the close
// event and the wake-up runs first, Read reports the overflow, not a clean
// end.
func TestConnOverflowBeforeCloseEvent(t *testing.T) {
	_, b := pair(t)
	dc := b.dc.JSValue()
	msg := js.Global().Get("Uint8Array").New(MaxMessageSize)
	for sent := 0; sent <= recvQueueMax/2; sent += MaxMessageSize {
		event := js.Global().Get("Object").New()
		event.Set("data", msg.Get("buffer"))
		onmessage := dc.Get("onmessage")
		if onmessage.IsNull() {
			break // the receiver gave up: it overflowed
		}
		onmessage.Invoke(event)
	}
	dc.Get("onclose").Invoke(js.Global().Get("Object").New())

	require.NoError(t, b.SetReadDeadline(time.Now().Add(10*time.Second)))
	got, err := io.Copy(io.Discard, b)
	require.ErrorIs(t, err, ErrRecvOverflow)
	require.LessOrEqual(t, got, int64(recvQueueMax))
}
