//go:build js && wasm

package piecehash

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
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
	var sum [20]byte
	if len(b) < minWebCrypto || !digest("SHA-1", b, sum[:]) {
		return sha1.Sum(b)
	}
	return sum
}

// Sum256 returns the SHA-256 of b, as Sum does.
func Sum256(b []byte) [32]byte {
	var sum [32]byte
	if len(b) < minWebCrypto || !digest("SHA-256", b, sum[:]) {
		return sha256.Sum256(b)
	}
	return sum
}

// digest asks WebCrypto for the algo digest of b into sum; false when it
// is missing or fails.
func digest(algo string, b, sum []byte) bool {
	if subtle.IsUndefined() || subtle.IsNull() {
		return false
	}
	// digest copies its input before it returns, so a reused array is safe.
	v, err := jsbridge.Await(context.Background(), subtle.Call("digest", algo, jsbridge.TempUint8Array(b)))
	if err != nil {
		return false
	}
	return js.CopyBytesToGo(sum, js.Global().Get("Uint8Array").New(v)) == len(sum)
}
