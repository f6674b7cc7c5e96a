// Package piecehash computes the SHA-1 of a piece. In the browser it asks
// the platform's WebCrypto, which runs natively, about ten times the speed
// of Go's SHA-1 compiled to WebAssembly; elsewhere, and where WebCrypto is
// missing (a page served over plain HTTP from another host is not a secure
// context), it is Go's crypto/sha1.
package piecehash
