//go:build !(js && wasm)

package piecehash

import (
	"crypto/sha1"
	"crypto/sha256"
)

// Sum returns the SHA-1 of b.
func Sum(b []byte) [20]byte { return sha1.Sum(b) }

// Sum256 returns the SHA-256 of b.
func Sum256(b []byte) [32]byte { return sha256.Sum256(b) }
