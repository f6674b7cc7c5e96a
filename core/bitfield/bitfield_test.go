package bitfield

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetClearCount(t *testing.T) {
	f := New(10)
	require.Equal(t, 2, len(f.Bytes()))
	f.Set(0)
	f.Set(9)
	f.Set(9)
	require.Equal(t, 2, f.Count())
	require.True(t, f.Has(9))
	require.False(t, f.Has(10))
	require.Equal(t, []byte{0x80, 0x40}, f.Bytes())
	f.Clear(0)
	f.Clear(0)
	require.Equal(t, 1, f.Count())
	require.Equal(t, []int{9}, f.Indices())
	f.SetAll()
	require.True(t, f.All())
	require.Equal(t, []byte{0xff, 0xc0}, f.Bytes())
}

func TestFromBytes(t *testing.T) {
	f, err := FromBytes([]byte{0xff, 0xc0}, 10)
	require.NoError(t, err)
	require.Equal(t, 10, f.Count())
	_, err = FromBytes([]byte{0xff, 0xe0}, 10)
	require.ErrorIs(t, err, ErrSpareBits)
	_, err = FromBytes([]byte{0xff}, 10)
	require.Error(t, err)
	c := f.Clone()
	c.Clear(1)
	require.True(t, f.Has(1))
}
