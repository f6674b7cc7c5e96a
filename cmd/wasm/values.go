//go:build js

package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
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
		buf, err := jsbridge.Await(context.Background(), v.Call("arrayBuffer"))
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
