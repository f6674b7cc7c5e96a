//go:build js

package main

import (
	"fmt"
	"syscall/js"
)

// maxTorrentBytes bounds what download() and seed() copy out of JavaScript.
const maxTorrentBytes = 1 << 30

// stringList reads an array of strings (anything else gives nil).
func stringList(v js.Value) []string {
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil
	}
	out := make([]string, 0, v.Length())
	for i := 0; i < v.Length(); i++ {
		if s := v.Index(i); s.Type() == js.TypeString {
			out = append(out, s.String())
		}
	}
	return out
}

// bytesOf copies a Uint8Array, ArrayBuffer or Blob/File into Go.
func bytesOf(v js.Value) ([]byte, error) {
	if v.Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: want bytes, a File or a magnet link", errBadArgument)
	}
	switch {
	case v.InstanceOf(js.Global().Get("Uint8Array")):
	case v.InstanceOf(js.Global().Get("ArrayBuffer")):
		v = js.Global().Get("Uint8Array").New(v)
	case v.InstanceOf(js.Global().Get("Blob")):
		if size := v.Get("size").Float(); size > maxTorrentBytes {
			return nil, fmt.Errorf("%w: %.0f bytes is too large", errBadArgument, size)
		}
		buf, err := await(v.Call("arrayBuffer"))
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		v = js.Global().Get("Uint8Array").New(buf)
	default:
		return nil, fmt.Errorf("%w: want a Uint8Array, ArrayBuffer or File", errBadArgument)
	}
	n := v.Get("byteLength").Int()
	if n > maxTorrentBytes {
		return nil, fmt.Errorf("%w: %d bytes is too large", errBadArgument, n)
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b, nil
}

func uint8Array(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// await blocks this goroutine until the promise settles.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: a[0]}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: fmt.Errorf("%s", js.Global().Get("String").Invoke(a[0]).String())}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	r := <-ch
	return r.v, r.err
}
