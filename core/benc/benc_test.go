package benc

import (
	"math"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	for s, want := range map[string]string{
		"":                 "0:",
		"spam":             "4:spam",
		"a:b":              "3:a:b",
		"\x00\xff":         "2:\x00\xff",
		"0123456789abcdef": "16:0123456789abcdef",
	} {
		got := AppendString([]byte("prefix"), s)
		assert.Equal(t, "prefix"+want, string(got))
		var back string
		require.NoError(t, bencode.Unmarshal(got[len("prefix"):], &back))
		assert.Equal(t, s, back)
	}
}

func TestAppendInt(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "i0e",
		3:             "i3e",
		-3:            "i-3e",
		math.MaxInt64: "i9223372036854775807e",
		math.MinInt64: "i-9223372036854775808e",
	} {
		got := AppendInt(nil, n)
		assert.Equal(t, want, string(got))
		var back int64
		require.NoError(t, bencode.Unmarshal(got, &back))
		assert.Equal(t, n, back)
	}
}

func TestAppendStrings(t *testing.T) {
	assert.Equal(t, "le", string(AppendStrings(nil, nil)))
	got := AppendStrings([]byte("x"), []string{"spam", "", "eggs"})
	assert.Equal(t, "xl4:spam0:4:eggse", string(got))
	var back []string
	require.NoError(t, bencode.Unmarshal(got[1:], &back))
	assert.Equal(t, []string{"spam", "", "eggs"}, back)
}

// The wire messages are framed into reused buffers; appending must not
// allocate when the buffer has room.
func TestAppendDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendInt(AppendString(buf[:0], "metadata_size"), 31235)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, "13:metadata_sizei31235e", string(buf))
}
