//go:build js && wasm

package piecehash

import (
	"crypto/sha256"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/require"
)

// countDigests wraps WebCrypto's digest to count the calls per algorithm,
// for the length of the test.
func countDigests(t *testing.T) map[string]int {
	t.Helper()
	require.False(t, subtle.IsUndefined(), "Node and secure pages have WebCrypto")
	calls := map[string]int{}
	orig := subtle.Get("digest")
	wrap := js.FuncOf(func(_ js.Value, args []js.Value) any {
		calls[args[0].String()]++
		return orig.Call("apply", subtle, js.ValueOf([]any{args[0], args[1]}))
	})
	subtle.Set("digest", wrap)
	t.Cleanup(func() {
		subtle.Set("digest", orig)
		wrap.Release()
	})
	return calls
}

// A v2 piece's blocks are hashed by WebCrypto, all of them in one batch.
func TestSum256BlocksUsesWebCrypto(t *testing.T) {
	calls := countDigests(t)
	b := make([]byte, 5*BlockSize+100)
	for i := range b {
		b[i] = byte(i / 7)
	}
	got := Sum256Blocks([][32]byte(nil), b)
	require.Len(t, got, 6)
	require.Equal(t, sha256.Sum256(b[5*BlockSize:]), got[5])
	require.Equal(t, 6, calls["SHA-256"])
	one := Sum256([]byte("short"))
	require.Equal(t, sha256.Sum256([]byte("short")), one)
	require.Equal(t, 6, calls["SHA-256"], "inputs under 16 KiB stay in Go")
}

// Without WebCrypto (a page that is not a secure context) Go hashes.
func TestSum256BlocksWithoutWebCrypto(t *testing.T) {
	calls := countDigests(t)
	saved := subtle
	subtle = js.Undefined()
	defer func() { subtle = saved }()
	b := make([]byte, 3*BlockSize)
	b[BlockSize] = 1
	got := Sum256Blocks([][32]byte(nil), b)
	require.Equal(t, [][32]byte{sha256.Sum256(b[:BlockSize]), sha256.Sum256(b[BlockSize : 2*BlockSize]), sha256.Sum256(b[2*BlockSize:])}, got)
	require.Equal(t, sha256.Sum256(b), Sum256(b))
	require.Zero(t, calls["SHA-256"])
}
