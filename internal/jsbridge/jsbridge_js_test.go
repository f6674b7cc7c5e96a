//go:build js && wasm

package jsbridge

import (
	"context"
	"errors"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAwait(t *testing.T) {
	promise := js.Global().Get("Promise")
	v, err := Await(context.Background(), promise.Call("resolve", 42))
	require.NoError(t, err)
	assert.Equal(t, 42, v.Int())

	_, err = Await(context.Background(), promise.Call("reject", js.Global().Get("Error").New("nope")))
	require.ErrorIs(t, err, ErrRejected)
	assert.Contains(t, err.Error(), "nope")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	never := promise.New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	_, err = Await(ctx, never)
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
}

func TestUint8Array(t *testing.T) {
	u := Uint8Array([]byte{1, 2, 3})
	assert.Equal(t, 3, u.Get("length").Int())
	assert.Equal(t, 3, u.Index(2).Int())
}

func TestTempUint8ArrayReusesByLength(t *testing.T) {
	a := TempUint8Array([]byte{1, 2, 3})
	assert.Equal(t, 3, a.Get("length").Int())
	assert.Equal(t, 3, a.Index(2).Int())
	b := TempUint8Array([]byte{7, 8, 9})
	assert.True(t, a.Equal(b), "same length: same array")
	assert.Equal(t, 7, a.Index(0).Int(), "overwritten by the next call")
	c := TempUint8Array([]byte{1})
	assert.Equal(t, 1, c.Get("length").Int())
	for n := range 10 { // more lengths than are kept
		assert.Equal(t, n, TempUint8Array(make([]byte, n)).Get("length").Int())
	}
	assert.LessOrEqual(t, len(scratch), maxScratch)
}
