//go:build js && wasm

package webrtc

import (
	"fmt"
	"sync"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
)

// recvQueueMax bounds received bytes waiting for Read. Browsers cannot
// pause a data channel, so overflow closes the connection: a BitTorrent
// peer only sends what was requested, and Braid never has this much
// outstanding per peer.
const recvQueueMax = 32 << 20

// newReceiver builds the JavaScript side of a data channel's receive path.
// Every message costs a call into Go when Go handles it directly: the Go
// runtime resumes, then runs every goroutine the message woke (reader,
// torrent loop, writer) before it yields again, and that per-message cost
// was most of the browser's time per received block. So onmessage stays in
// JavaScript: it queues the bytes and posts one wake-up through a
// MessageChannel, which runs after the messages already waiting in the
// event loop. Go then takes everything queued as one buffer. Under load
// many messages share one call into Go; when idle, each still arrives at
// once.
//
// The queue here is bounded too (max bytes): a peer flooding while Go is
// busy elsewhere would otherwise grow it without limit. Past the bound the
// channel is closed at once, so the sender stops, and take reports the
// overflow.
var newReceiver = js.Global().Get("Function").New("dc", "wake", "max", `
	const q = []
	let queued = 0
	let posted = false
	let messages = 0
	let overflow = 0
	let buf = new Uint8Array(256 << 10)
	const ch = new MessageChannel()
	ch.port1.onmessage = () => { posted = false; wake() }
	const enc = new TextEncoder()
	dc.binaryType = 'arraybuffer'
	dc.onmessage = e => {
		const b = typeof e.data === 'string' ? enc.encode(e.data) : new Uint8Array(e.data)
		messages++
		if (b.length === 0 || overflow) return
		if (queued + b.length > max) {
			overflow = queued + b.length
			dc.onmessage = null
			try { dc.close() } catch (_) {}
		} else {
			q.push(b)
			queued += b.length
		}
		if (!posted) { posted = true; ch.port2.postMessage(0) }
	}
	return {
		messages: () => messages,
		overflow: () => overflow,
		take () {
			if (q.length === 0) return null
			let out = q[0]
			if (q.length > 1) {
				// One reused buffer: a fresh large array per batch costs
				// the browser more than the copy into it.
				if (buf.length < queued) buf = new Uint8Array(Math.max(queued, 2 * buf.length))
				out = buf.subarray(0, queued)
				let off = 0
				for (const b of q) { out.set(b, off); off += b.length }
			}
			q.length = 0
			queued = 0
			return out // valid until the next take: Go copies it at once
		},
		close () {
			dc.onmessage = null
			ch.port1.onmessage = null
			ch.port1.close()
			ch.port2.close()
			q.length = 0
			buf = null
		}
	}
`)

// attach installs the batching receiver on the browser's RTCDataChannel
// (pion's OnMessage would run each message in a fresh goroutine, which could
// also reorder them). push never blocks here (a JS callback must not).
func (c *conn) attach() {
	var rx js.Value
	var takeMu sync.Mutex // take and push as one step, so batches keep their order
	take := func() {
		takeMu.Lock()
		defer takeMu.Unlock()
		if data := rx.Call("take"); !data.IsNull() {
			b := make([]byte, data.Get("length").Int())
			js.CopyBytesToGo(b, data)
			c.push(b, false)
		}
		if n := rx.Call("overflow").Int(); n > 0 {
			c.overflow(n)
		}
	}
	wake := js.FuncOf(func(js.Value, []js.Value) any {
		take()
		return nil
	})
	rx = newReceiver.Invoke(c.dc.JSValue(), wake, recvQueueMax/2)
	c.drain = take
	c.messages = func() int { return rx.Call("messages").Int() }
	c.release = func() {
		rx.Call("close")
		wake.Release()
	}
}

// sendChunk is what Write hands send at a time: up to 16 messages, cut in
// JavaScript, so one call from Go sends them all (a call per 16 KiB
// message made the Go → JavaScript crossings a seeder's main cost).
const sendChunk = 16 * MaxMessageSize

// sendMessages sends u8 as messages of at most max bytes. send copies its
// argument at once (RTCDataChannel.send does), so u8 may be a reused array.
var sendMessages = js.Global().Get("Function").New("dc", "u8", "max", `
	for (let off = 0; off < u8.length; off += max) dc.send(u8.subarray(off, Math.min(off + max, u8.length)))
`)

// send sends p (at most sendChunk bytes) as messages of MaxMessageSize.
func (c *conn) send(p []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("send: %v", r) // the channel closed under us (a JavaScript exception)
		}
	}()
	sendMessages.Invoke(c.dc.JSValue(), jsbridge.TempUint8Array(p), MaxMessageSize)
	return nil
}
