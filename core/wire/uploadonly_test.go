package wire

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUploadOnlyMessage(t *testing.T) {
	for _, v := range []bool{true, false} {
		b := AppendUploadOnly(nil, v)
		require.Len(t, b, 1)
		got, err := ParseUploadOnly(b)
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	got, err := ParseUploadOnly([]byte{7})
	require.NoError(t, err)
	assert.True(t, got)
	for _, bad := range [][]byte{nil, {}, {1, 0}} {
		_, err := ParseUploadOnly(bad)
		assert.True(t, errors.Is(err, ErrMalformed), "%x", bad)
	}
}

func TestDontHaveMessage(t *testing.T) {
	b := AppendDontHave(nil, 0x01020304)
	assert.Equal(t, []byte{1, 2, 3, 4}, b)
	got, err := ParseDontHave(b)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x01020304), got)
	for _, bad := range [][]byte{nil, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		_, err := ParseDontHave(bad)
		assert.True(t, errors.Is(err, ErrMalformed), "%x", bad)
	}
}

func TestExtHandshakeUploadOnly(t *testing.T) {
	e := ExtHandshake{M: map[string]int{ExtNameUploadOnly: 3, ExtNameDontHave: 7}, UploadOnly: true, V: "x"}
	enc := e.Encode()
	assert.Equal(t, "d1:md11:lt_donthavei7e11:upload_onlyi3ee11:upload_onlyi1e1:v1:xe", string(enc))
	got, err := ParseExtHandshake(enc)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	got, err = ParseExtHandshake([]byte("d1:mde11:upload_onlyi0ee"))
	require.NoError(t, err)
	assert.False(t, got.UploadOnly)
	_, err = ParseExtHandshake([]byte("d1:mde11:upload_only1:1e"))
	assert.True(t, errors.Is(err, ErrMalformed))
}
