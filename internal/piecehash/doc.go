// Package piecehash computes the SHA-1 of a piece (v1 torrents) and the
// SHA-256 of a 16 KiB block (the leaves of BitTorrent v2's Merkle trees).
// In the browser it asks the platform's WebCrypto, which runs natively,
// about ten times the speed of Go's hashes compiled to WebAssembly;
// elsewhere, and where WebCrypto is missing (a page served over plain HTTP
// from another host is not a secure context), it is Go's crypto/sha1 and
// crypto/sha256.
package piecehash
