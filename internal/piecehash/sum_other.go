//go:build !(js && wasm)

package piecehash

import "crypto/sha1"

// Sum returns the SHA-1 of b.
func Sum(b []byte) [20]byte { return sha1.Sum(b) }
