//go:build js && wasm

package jsbridge

import (
	"context"
	"errors"
	"sync"
	"syscall/js"
)

// ErrRejected wraps the reason a promise was rejected with.
var ErrRejected = errors.New("promise rejected")

// maxReasonText bounds the rejection text quoted in errors: the browser or a
// server may choose it.
const maxReasonText = 300

// Await blocks this goroutine (never a JavaScript callback) until promise p
// settles or ctx ends. The callbacks release themselves when p settles:
// releasing them earlier would make a late settlement call a released
// function, which crashes the Go program. So a caller that gives up on ctx
// must make p settle (abort its request).
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var ok, fail js.Func
	ok = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ok.Release()
		fail.Release()
		ch <- result{v: arg(a)}
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, a []js.Value) any {
		ok.Release()
		fail.Release()
		ch <- result{err: &rejection{reason: clip(js.Global().Call("String", arg(a)).String())}}
		return nil
	})
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// rejection is a rejected promise's reason as text.
type rejection struct{ reason string }

func (r *rejection) Error() string { return r.reason }
func (r *rejection) Unwrap() error { return ErrRejected }

func arg(a []js.Value) js.Value {
	if len(a) == 0 {
		return js.Undefined()
	}
	return a[0]
}

func clip(s string) string {
	if len(s) > maxReasonText {
		return s[:maxReasonText] + "..."
	}
	return s
}

// Uint8Array copies b into a new JavaScript Uint8Array.
func Uint8Array(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// scratch holds reusable Uint8Arrays by length. A fresh large typed array
// costs far more than the copy into it (the browser maps and zeroes new
// memory for each: 256 KiB pieces went in at ~200 MiB/s, a reused array at
// GB/s).
var (
	scratchMu sync.Mutex
	scratch   = map[int]js.Value{}
)

// maxScratch bounds how many lengths are kept (pieces share one length; the
// last piece and a few odd sizes add the rest).
const maxScratch = 4

// TempUint8Array copies b into a reused Uint8Array of exactly len(b) bytes.
// The array is overwritten by the next call with the same length, so it is
// only for JavaScript APIs that copy their argument before returning:
// IndexedDB's put (structured clone), postMessage. (JavaScript
// runs one goroutine at a time and switches only where one blocks, so no
// other call can come between this one and the caller's next JavaScript
// call.)
func TempUint8Array(b []byte) js.Value {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	u, ok := scratch[len(b)]
	if !ok {
		if len(scratch) >= maxScratch {
			clear(scratch)
		}
		u = js.Global().Get("Uint8Array").New(len(b))
		scratch[len(b)] = u
	}
	js.CopyBytesToJS(u, b)
	return u
}
