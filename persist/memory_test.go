package persist

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemory(t *testing.T) {
	m := NewMemory(10)
	n, err := m.WriteAt([]byte("abc"), 8)
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, ErrOutOfRange, "writes past the end are refused whole")
	_, err = m.WriteAt([]byte("x"), -1)
	require.ErrorIs(t, err, ErrOutOfRange)
	n, err = m.WriteAt([]byte("hello"), 3)
	require.NoError(t, err)
	assert.Equal(t, 5, n)

	buf := make([]byte, 6)
	n, err = m.ReadAt(buf, 2)
	require.NoError(t, err)
	assert.Equal(t, 6, n)
	assert.Equal(t, "\x00hello", string(buf))
	n, err = m.ReadAt(buf, 7)
	assert.Equal(t, 3, n)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "o\x00\x00", string(buf[:3]))
	_, err = m.ReadAt(buf, 10)
	require.ErrorIs(t, err, io.EOF)
	_, err = m.ReadAt(buf, -1)
	require.ErrorIs(t, err, ErrOutOfRange)

	require.NoError(t, m.Close())
	_, err = m.ReadAt(buf, 0)
	require.ErrorIs(t, err, ErrClosed)
	_, err = m.WriteAt(buf, 0)
	require.ErrorIs(t, err, ErrClosed)
}
