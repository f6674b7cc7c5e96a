package piecehash

import "crypto/sha256"

// sum256Blocks is Sum256Blocks by Go's crypto/sha256.
func sum256Blocks[H ~[32]byte](out []H, b []byte) []H {
	for off := 0; off < len(b); off += BlockSize {
		out = append(out, H(sha256.Sum256(b[off:min(off+BlockSize, len(b))])))
	}
	return out
}
