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

// BlockSize is the size of a v2 leaf block (BEP 52).
const BlockSize = 16 << 10

// Sum256Blocks appends to out the SHA-256 of each BlockSize block of b
// (the last one may be short) and returns it: the leaves of a v2 piece.
func Sum256Blocks[H ~[32]byte](out []H, b []byte) []H { return sum256Blocks(out, b) }
