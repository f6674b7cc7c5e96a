//go:build js

package fetch

import (
	"context"
	"fmt"
	"io"
	"syscall/js"
)

// body reads a fetch Response's ReadableStream chunk by chunk, copying into
// Go memory only what the caller asks for.
type body struct {
	ctx    context.Context
	reader js.Value // ReadableStreamDefaultReader
	chunk  js.Value // Uint8Array being consumed
	off, n int      // consumed and total bytes of chunk
	read   int64
	limit  int64 // < 0: none
	err    error // sticky: io.EOF or the failure
	stop   func() bool
	abort  func()
	closed bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for b.off == b.n {
		v, err := await(b.ctx, b.reader.Call("read"))
		if err != nil {
			b.err = err
			return 0, err
		}
		if v.Get("done").Bool() {
			b.err = io.EOF
			return 0, io.EOF
		}
		b.chunk, b.off, b.n = v.Get("value"), 0, v.Get("value").Get("length").Int()
	}
	n := min(len(p), b.n-b.off)
	if b.limit >= 0 && b.read+int64(n) > b.limit {
		n = int(b.limit - b.read)
		if n == 0 {
			b.err = fmt.Errorf("%w (%d bytes)", ErrBodyTooLarge, b.limit)
			return 0, b.err
		}
	}
	js.CopyBytesToGo(p[:n], b.chunk.Call("subarray", b.off, b.off+n))
	b.off += n
	b.read += int64(n)
	return n, nil
}

// Close aborts the request, which frees the browser's connection if the
// body was not read to its end.
func (b *body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.stop()
	b.abort()
	if b.err == nil {
		b.err = fmt.Errorf("%w: read after close", ErrFetch)
	}
	return nil
}
