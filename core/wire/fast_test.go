package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var specInfoHash = [20]byte(bytes.Repeat([]byte{0xaa}, 20))

func TestAllowedFastSetSpecVector(t *testing.T) {
	ip := []byte{80, 4, 4, 200}
	assert.Equal(t, []uint32{1059, 431, 808, 1217, 287, 376, 1188},
		AllowedFastSet(ip, specInfoHash, 1313, 7))
	assert.Equal(t, []uint32{1059, 431, 808, 1217, 287, 376, 1188, 353, 508},
		AllowedFastSet(ip, specInfoHash, 1313, 9))
}

func TestAllowedFastSetAddresses(t *testing.T) {
	want := AllowedFastSet([]byte{80, 4, 4, 200}, specInfoHash, 1313, 7)
	mapped := append(make([]byte, 10), 0xff, 0xff, 80, 4, 4, 200)
	assert.Equal(t, want, AllowedFastSet(mapped, specInfoHash, 1313, 7), "IPv4-mapped IPv6")
	assert.Equal(t, want, AllowedFastSet([]byte{80, 4, 4, 1}, specInfoHash, 1313, 7), "same /24")
	assert.NotEqual(t, want, AllowedFastSet([]byte{80, 4, 5, 200}, specInfoHash, 1313, 7), "other /24")

	v6 := append([]byte{0x20, 0x01, 0x0d, 0xb8}, make([]byte, 12)...)
	assert.Nil(t, AllowedFastSet(v6, specInfoHash, 1313, 7))
	assert.Nil(t, AllowedFastSet([]byte{1, 2, 3}, specInfoHash, 1313, 7))
	assert.Nil(t, AllowedFastSet(nil, specInfoHash, 1313, 7))
}

func TestAllowedFastSetBounds(t *testing.T) {
	ip := []byte{10, 0, 0, 1}
	assert.Nil(t, AllowedFastSet(ip, specInfoHash, 0, 7))
	assert.Nil(t, AllowedFastSet(ip, specInfoHash, 10, 0))
	assert.Nil(t, AllowedFastSet(ip, specInfoHash, -1, 7))

	// More pieces asked for than exist: every piece, once, and the loop ends.
	set := AllowedFastSet(ip, specInfoHash, 5, 10)
	require.Len(t, set, 5)
	seen := map[uint32]bool{}
	for _, p := range set {
		assert.Less(t, p, uint32(5))
		assert.False(t, seen[p], "duplicate %d", p)
		seen[p] = true
	}
	assert.Equal(t, []uint32{0}, AllowedFastSet(ip, specInfoHash, 1, 3))
}
