//go:build js

package persist

import (
	"errors"
	"fmt"
	"syscall/js"
)

// domError is an IndexedDB failure as the browser reported it.
type domError struct {
	name, message string
}

func (e *domError) Error() string {
	return fmt.Sprintf("indexeddb: %s: %s", e.name, e.message)
}

// Unwrap lets callers test errors.Is(err, ErrQuota).
func (e *domError) Unwrap() error {
	if e.name == "QuotaExceededError" {
		return ErrQuota
	}
	return nil
}

// errFromJS turns a DOMException (or any thrown JS value) into a Go error.
func errFromJS(v js.Value) error {
	if v.Type() != js.TypeObject {
		if v.IsUndefined() || v.IsNull() {
			return &domError{name: "AbortError", message: "transaction aborted"}
		}
		return &domError{name: "Error", message: v.String()}
	}
	name, msg := v.Get("name"), v.Get("message")
	e := &domError{name: "Error"}
	if name.Type() == js.TypeString {
		e.name = name.String()
	}
	if msg.Type() == js.TypeString {
		e.message = msg.String()
	}
	return e
}

// call invokes a JS method, returning what it throws as an error instead of
// letting syscall/js panic.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = errFromJS(je.Value)
				return
			}
			err = fmt.Errorf("indexeddb: %s: %v", method, r)
		}
	}()
	return v.Call(method, args...), nil
}

// txWaiter learns how a transaction ended. Its wait must be called from a
// normal goroutine, never from inside a js.Func callback: the callbacks only
// signal a channel, and the wait yields to the JS event loop that fires them.
type txWaiter struct {
	tx                  js.Value
	done                chan error
	onComplete, onAbort js.Func
}

func watchTx(tx js.Value) *txWaiter {
	w := &txWaiter{tx: tx, done: make(chan error, 1)}
	w.onComplete = js.FuncOf(func(js.Value, []js.Value) any {
		w.signal(nil)
		return nil
	})
	w.onAbort = js.FuncOf(func(js.Value, []js.Value) any {
		w.signal(errFromJS(tx.Get("error")))
		return nil
	})
	tx.Set("oncomplete", w.onComplete)
	tx.Set("onabort", w.onAbort)
	return w
}

func (w *txWaiter) signal(err error) {
	select {
	case w.done <- err:
	default:
	}
}

// wait returns the transaction's outcome and releases the callbacks.
func (w *txWaiter) wait() error {
	err := <-w.done
	w.release()
	return err
}

func (w *txWaiter) release() {
	w.tx.Set("oncomplete", js.Null())
	w.tx.Set("onabort", js.Null())
	w.onComplete.Release()
	w.onAbort.Release()
}

// abort rolls back a transaction whose requests could not all be issued and
// waits for the rollback, so no callback fires after release.
func (w *txWaiter) abort() {
	if _, err := call(w.tx, "abort"); err != nil {
		w.release() // already finished: nothing more will fire
		return
	}
	_ = w.wait()
}

// copyExact copies a stored Uint8Array of exactly len(dst) bytes into dst;
// false when v is anything else.
func copyExact(dst []byte, v js.Value) bool {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) || v.Get("length").Int() != len(dst) {
		return false
	}
	js.CopyBytesToGo(dst, v)
	return true
}

// bytesFrom copies a stored Uint8Array into Go. ok is false when v is not a
// Uint8Array or is longer than limit: stored values are not trusted.
func bytesFrom(v js.Value, limit int) (b []byte, ok bool) {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, false
	}
	n := v.Get("length").Int()
	if n < 0 || n > limit {
		return nil, false
	}
	b = make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b, true
}
