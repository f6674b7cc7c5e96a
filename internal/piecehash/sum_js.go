//go:build js && wasm

package piecehash

import (
	"context"
	"crypto/sha1"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
)

// minWebCrypto is the smallest input handed to WebCrypto: pieces are at
// least this big; smaller inputs are not worth a round trip through a
// promise.
const minWebCrypto = 16 << 10

var subtle = func() js.Value {
	c := js.Global().Get("crypto")
	if c.IsUndefined() || c.IsNull() {
		return js.Undefined()
	}
	return c.Get("subtle")
}()

// Sum returns the SHA-1 of b. It blocks the calling goroutine while
// WebCrypto works, so it must not be called on a JavaScript callback.
func Sum(b []byte) [20]byte {
	if len(b) < minWebCrypto || subtle.IsUndefined() || subtle.IsNull() {
		return sha1.Sum(b)
	}
	// digest copies its input before it returns, so a reused array is safe.
	v, err := jsbridge.Await(context.Background(), subtle.Call("digest", "SHA-1", jsbridge.TempUint8Array(b)))
	if err != nil {
		return sha1.Sum(b)
	}
	var sum [20]byte
	if js.CopyBytesToGo(sum[:], js.Global().Get("Uint8Array").New(v)) != len(sum) {
		return sha1.Sum(b)
	}
	return sum
}
