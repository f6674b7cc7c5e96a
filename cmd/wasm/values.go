//go:build js

package main

import (
	"context"
	"fmt"
	"math"
	"syscall/js"

	"github.com/braid-bt/braid"
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

// seedKind reads seed()'s protocol ("v1", "v2" or "hybrid"; absent: v1)
// and pieceLength (bytes; absent: chosen from the content size) options.
func seedKind(opts js.Value, o *braid.SeedOptions) error {
	switch v := opts.Get("protocol"); v.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeString:
		switch v.String() {
		case "v1", "v2", "hybrid":
			o.Protocol = v.String()
		default:
			return fmt.Errorf("%w: protocol %.40q: want v1, v2 or hybrid", errBadArgument, v.String())
		}
	default:
		return fmt.Errorf("%w: protocol: want \"v1\", \"v2\" or \"hybrid\"", errBadArgument)
	}
	switch v := opts.Get("pieceLength"); v.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeNumber:
		f := v.Float()
		if f <= 0 || f > 1<<30 || f != math.Trunc(f) {
			return fmt.Errorf("%w: pieceLength %v: want a whole number of bytes up to 1 GiB", errBadArgument, f)
		}
		o.PieceLength = int64(f)
	default:
		return fmt.Errorf("%w: pieceLength: want a number of bytes", errBadArgument)
	}
	if n := o.PieceLength; n != 0 {
		if n%(16<<10) != 0 {
			return fmt.Errorf("%w: pieceLength %d: want a multiple of 16 KiB", errBadArgument, n)
		}
		if o.Protocol != "" && o.Protocol != "v1" && n&(n-1) != 0 {
			return fmt.Errorf("%w: pieceLength %d: %s torrents need a power of two", errBadArgument, n, o.Protocol)
		}
	}
	return nil
}
