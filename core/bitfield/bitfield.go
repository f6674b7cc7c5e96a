// Package bitfield is the piece bitmap of BEP 3: bit i (most significant bit
// first) is set when piece i is present.
package bitfield

import (
	"errors"
	"fmt"
	"math/bits"
)

// ErrSpareBits is returned by FromBytes when bits past the last piece are set.
var ErrSpareBits = errors.New("bitfield: spare bits set")

// Bitfield is a fixed-length bit set that keeps its population count.
type Bitfield struct {
	b     []byte
	n     int
	count int
}

// New returns an empty bitfield of n bits.
func New(n int) *Bitfield {
	if n < 0 {
		n = 0
	}
	return &Bitfield{b: make([]byte, (n+7)/8), n: n}
}

// ByteLen is the wire length of a bitfield of n bits.
func ByteLen(n int) int { return (n + 7) / 8 }

// FromBytes copies a wire bitfield of n bits. The length must be exact and
// spare bits must be zero, as BEP 3 requires.
func FromBytes(p []byte, n int) (*Bitfield, error) {
	if len(p) != ByteLen(n) {
		return nil, fmt.Errorf("bitfield: got %d bytes, want %d for %d pieces", len(p), ByteLen(n), n)
	}
	if n%8 != 0 && len(p) > 0 && p[len(p)-1]&(0xff>>(n%8)) != 0 {
		return nil, ErrSpareBits
	}
	f := &Bitfield{b: append([]byte(nil), p...), n: n}
	for _, x := range f.b {
		f.count += bits.OnesCount8(x)
	}
	return f, nil
}

// Len is the number of bits.
func (f *Bitfield) Len() int { return f.n }

// Count is the number of set bits.
func (f *Bitfield) Count() int { return f.count }

// All reports whether every bit is set.
func (f *Bitfield) All() bool { return f.count == f.n }

// None reports whether no bit is set.
func (f *Bitfield) None() bool { return f.count == 0 }

// Has reports whether bit i is set; out-of-range indices are false.
func (f *Bitfield) Has(i int) bool {
	if i < 0 || i >= f.n {
		return false
	}
	return f.b[i>>3]&(0x80>>(i&7)) != 0
}

// Set sets bit i; out-of-range indices are ignored.
func (f *Bitfield) Set(i int) {
	if i < 0 || i >= f.n || f.Has(i) {
		return
	}
	f.b[i>>3] |= 0x80 >> (i & 7)
	f.count++
}

// Clear clears bit i; out-of-range indices are ignored.
func (f *Bitfield) Clear(i int) {
	if !f.Has(i) {
		return
	}
	f.b[i>>3] &^= 0x80 >> (i & 7)
	f.count--
}

// SetAll sets every bit.
func (f *Bitfield) SetAll() {
	for i := range f.b {
		f.b[i] = 0xff
	}
	if r := f.n % 8; r != 0 {
		f.b[len(f.b)-1] = byte(0xff << (8 - r))
	}
	f.count = f.n
}

// Bytes returns the wire form. The slice is shared; do not modify it.
func (f *Bitfield) Bytes() []byte { return f.b }

// Clone returns an independent copy.
func (f *Bitfield) Clone() *Bitfield {
	return &Bitfield{b: append([]byte(nil), f.b...), n: f.n, count: f.count}
}

// Indices returns the set bits in ascending order.
func (f *Bitfield) Indices() []int {
	out := make([]int, 0, f.count)
	for i := 0; i < f.n; i++ {
		if f.Has(i) {
			out = append(out, i)
		}
	}
	return out
}
