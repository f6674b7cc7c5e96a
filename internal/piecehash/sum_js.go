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

// BlockSize is the size of a v2 leaf block (BEP 52).
const BlockSize = 16 << 10

// Sum256Blocks appends to out the SHA-256 of each BlockSize block of b
// (the last one may be short) and returns it: the leaves of a v2 piece.
// In the browser every block goes to WebCrypto at once and the caller
// waits once for them all, not once per block.
func Sum256Blocks[H ~[32]byte](out []H, b []byte) []H {
	n := (len(b) + BlockSize - 1) / BlockSize
	if n <= 1 || subtle.IsUndefined() || subtle.IsNull() {
		return sum256Blocks(out, b)
	}
	// digest copies its input before it returns, so views of one reused
	// array are safe.
	whole := jsbridge.TempUint8Array(b)
	ps := make([]any, n)
	for i := range n {
		end := min((i+1)*BlockSize, len(b))
		ps[i] = subtle.Call("digest", "SHA-256", whole.Call("subarray", i*BlockSize, end))
	}
	v, err := jsbridge.Await(context.Background(), js.Global().Get("Promise").Call("all", ps))
	if err != nil || v.Length() != n {
		return sum256Blocks(out, b)
	}
	u8 := js.Global().Get("Uint8Array")
	for i := range n {
		var sum [32]byte
		if js.CopyBytesToGo(sum[:], u8.New(v.Index(i))) != len(sum) {
			return sum256Blocks(out, b)
		}
		out = append(out, H(sum))
	}
	return out
}
