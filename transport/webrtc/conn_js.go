//go:build js && wasm

package webrtc

import "syscall/js"

// recvQueueMax bounds received bytes waiting for Read. Browsers cannot
// pause a data channel, so overflow closes the connection: a BitTorrent
// peer only sends what was requested, and Braid never has this much
// outstanding per peer.
const recvQueueMax = 32 << 20

// attach installs its own onmessage handler on the browser's RTCDataChannel:
// pion's OnMessage runs each message in a fresh goroutine, which could
// reorder them. push never blocks here (a JS callback must not).
func (c *conn) attach() {
	v := c.dc.JSValue()
	v.Set("binaryType", "arraybuffer")
	u8 := js.Global().Get("Uint8Array")
	fn := js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) == 0 {
			return js.Undefined()
		}
		data := args[0].Get("data")
		if data.Type() == js.TypeString {
			c.push([]byte(data.String()), false)
			return js.Undefined()
		}
		arr := u8.New(data)
		b := make([]byte, arr.Get("length").Int())
		js.CopyBytesToGo(b, arr)
		c.push(b, false)
		return js.Undefined()
	})
	v.Set("onmessage", fn)
	c.release = func() {
		v.Set("onmessage", js.Null())
		fn.Release()
	}
}
