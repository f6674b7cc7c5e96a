package piecehash

import (
	"crypto/sha1"
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Sum agrees with crypto/sha1 on every size a piece or a last piece may
// have, on either side of the WebCrypto threshold.
func TestSumMatchesSHA1(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 55, 64, 16<<10 - 1, 16 << 10, 16<<10 + 1, 100_003, 256 << 10, 4 << 20} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		require.Equal(t, sha1.Sum(b), Sum(b), "%d bytes", n)
	}
}

// Sum256 agrees with crypto/sha256 on every size a v2 block may have.
func TestSum256MatchesSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3000, 16<<10 - 1, 16 << 10, 16<<10 + 1, 100_003} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		require.Equal(t, sha256.Sum256(b), Sum256(b), "%d bytes", n)
	}
}

// Sum256Blocks gives the SHA-256 of each 16 KiB block, the last one short,
// for every length a v2 piece's data may have.
func TestSum256BlocksMatchesSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 3000, 16<<10 - 1, 16 << 10, 16<<10 + 1, 100_003, 256 << 10, 1 << 20} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		var want [][32]byte
		for off := 0; off < n; off += 16 << 10 {
			want = append(want, sha256.Sum256(b[off:min(off+16<<10, n)]))
		}
		prefix := [][32]byte{{1}}
		got := Sum256Blocks(prefix, b)
		require.Equal(t, append([][32]byte{{1}}, want...), got, "%d bytes", n)
	}
}

// Concurrent callers each get their own sum (the browser build shares a
// scratch array between calls of one length).
func TestSumConcurrent(t *testing.T) {
	const n = 8
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, 64<<10)
		bufs[i][0] = byte(i)
	}
	got := make(chan [2][20]byte, n)
	for i := range n {
		go func() { got <- [2][20]byte{sha1.Sum(bufs[i]), Sum(bufs[i])} }()
	}
	for range n {
		r := <-got
		require.Equal(t, r[0], r[1])
	}
}

func BenchmarkSum256KiB(b *testing.B) {
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Sum(buf)
	}
}

// The v2 check hashes a 256 KiB piece as 16 blocks of 16 KiB.
func BenchmarkSum256Blocks256KiB(b *testing.B) {
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		for off := 0; off < len(buf); off += 16 << 10 {
			Sum256(buf[off : off+16<<10])
		}
	}
}

// The same, with every block handed over at once.
func BenchmarkSum256BlocksBatched256KiB(b *testing.B) {
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	var out [][32]byte
	for b.Loop() {
		out = Sum256Blocks(out[:0], buf)
	}
}
