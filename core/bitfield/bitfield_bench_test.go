package bitfield

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchPieces is the torrent size of issue 6's core benchmarks.
const benchPieces = 100000

// halfFull is a bitfield of n bits with a random half set.
func halfFull(n int, seed uint64) *Bitfield {
	r := rand.New(rand.NewPCG(seed, 2))
	f := New(n)
	for i := range n {
		if r.IntN(2) == 0 {
			f.Set(i)
		}
	}
	return f
}

// TestPerBlockOpsDoNotAllocate: Set, Has and Clear run per received block
// and per HAVE, so they must not allocate.
func TestPerBlockOpsDoNotAllocate(t *testing.T) {
	f := New(benchPieces)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		k := (i * 7919) % benchPieces
		f.Set(k)
		if !f.Has(k) {
			t.Fatalf("bit %d not set", k)
		}
		if i%3 == 0 {
			f.Clear(k)
		}
		i++
	})
	require.Zero(t, allocs)
	require.Positive(t, f.Count())
}

func BenchmarkSetHas(b *testing.B) {
	f := New(benchPieces)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := (i * 7919) % benchPieces
		f.Set(k)
		if !f.Has(k) {
			b.Fatal("not set")
		}
		f.Clear(k)
		i++
	}
}

// BenchmarkFromBytes is receiving a peer's BITFIELD message for 100,000
// pieces: copy, spare-bit check and population count.
func BenchmarkFromBytes(b *testing.B) {
	wire := halfFull(benchPieces, 1).Bytes()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromBytes(wire, benchPieces); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClone(b *testing.B) {
	f := halfFull(benchPieces, 2)
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Clone()
	}
}

// BenchmarkScanHas walks every bit, as interest checks and snapshots do.
func BenchmarkScanHas(b *testing.B) {
	f := halfFull(benchPieces, 3)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for i := range benchPieces {
			if f.Has(i) {
				n++
			}
		}
		if n != f.Count() {
			b.Fatalf("scan found %d, count %d", n, f.Count())
		}
	}
}
