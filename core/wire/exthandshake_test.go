package wire

import (
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtHandshakeRoundTrip(t *testing.T) {
	tests := map[string]ExtHandshake{
		"full": {
			M:            map[string]int{"ut_metadata": 2, "ut_pex": 1, "lt_donthave": 0, "upload_only": 255},
			V:            "Braid 0.1",
			Port:         6881,
			ReqQ:         500,
			MetadataSize: 31235,
			YourIP:       []byte{127, 0, 0, 1},
		},
		"ipv6":  {M: map[string]int{}, YourIP: []byte("0123456789abcdef")},
		"empty": {M: map[string]int{}},
	}
	for name, e := range tests {
		t.Run(name, func(t *testing.T) {
			enc := e.Encode()
			// Encode must be canonical bencode: the strict generic decoder
			// rejects unsorted keys.
			var generic map[string]interface{}
			require.NoError(t, bencode.Unmarshal(enc, &generic))
			require.Contains(t, generic, "m")
			got, err := ParseExtHandshake(enc)
			require.NoError(t, err)
			assert.Equal(t, e, got)
		})
	}
}

func TestExtHandshakeEncodeNilMap(t *testing.T) {
	e := ExtHandshake{V: "x"}
	assert.Equal(t, "d1:mde1:v1:xe", string(e.Encode()))
	got, err := ParseExtHandshake(e.Encode())
	require.NoError(t, err)
	assert.Empty(t, got.M)
	assert.NotNil(t, got.M)
}

func TestParseExtHandshakeRealWorld(t *testing.T) {
	// Shape of a libtorrent 2.x handshake, keys unsorted as some clients send.
	in := "d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei5632e4:reqqi500e11:upload_onlyi1e1:v17:qBittorrent/4.5.26:yourip4:\x7f\x00\x00\x011:pi51413e4:ipv616:aaaaaaaaaaaaaaaae"
	e, err := ParseExtHandshake([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, 2, e.M["ut_metadata"])
	assert.Equal(t, 1, e.M["ut_pex"])
	assert.Len(t, e.M, 6)
	assert.Equal(t, "qBittorrent/4.5.2", e.V)
	assert.Equal(t, 51413, e.Port)
	assert.Equal(t, 500, e.ReqQ)
	assert.Equal(t, 5632, e.MetadataSize)
	assert.Equal(t, []byte{127, 0, 0, 1}, e.YourIP)
	assert.True(t, e.UploadOnly)
}

func TestParseExtHandshakeIgnoresBadEntries(t *testing.T) {
	in := "d1:md1:ai-1e1:bi256e1:c3:abc1:dli1ee1:ei255e1:fi01ee6:yourip3:abce"
	e, err := ParseExtHandshake([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"e": 255}, e.M)
	assert.Nil(t, e.YourIP, "yourip of 3 bytes ignored")
}

func TestParseExtHandshakeHostile(t *testing.T) {
	tests := map[string]struct {
		in   string
		want error
	}{
		"empty":              {"", ErrMalformed},
		"not dict":           {"i5e", ErrMalformed},
		"list":               {"ld1:md1:ai1eeee", ErrMalformed},
		"truncated":          {"d1:md1:ai1e", ErrMalformed},
		"trailing":           {"d1:mdeexx", ErrMalformed},
		"int key":            {"di1ei2ee", ErrMalformed},
		"string overruns":    {"d1:v999:abce", ErrMalformed},
		"m not dict":         {"d1:mi1ee", ErrMalformed},
		"m list":             {"d1:ml1:aee", ErrMalformed},
		"v int":              {"d1:vi1ee", ErrMalformed},
		"v list":             {"d1:vl1:xee", ErrMalformed},
		"p string":           {"d1:p4:6881e", ErrMalformed},
		"p negative":         {"d1:pi-1ee", ErrMalformed},
		"p too big":          {"d1:pi65536ee", ErrMalformed},
		"p huge":             {"d1:pi99999999999999999999999ee", ErrMalformed},
		"p leading zero":     {"d1:pi080ee", ErrMalformed},
		"reqq negative":      {"d4:reqqi-5ee", ErrMalformed},
		"reqq dict":          {"d4:reqqdee", ErrMalformed},
		"metadata_size neg":  {"d13:metadata_sizei-1ee", ErrMalformed},
		"metadata_size huge": {"d13:metadata_sizei1000000000ee", ErrMalformed},
		"yourip int":         {"d6:youripi1ee", ErrMalformed},
		"bad value type":     {"d1:xz1:y", ErrMalformed},
		"deep nesting":       {"d1:x" + strings.Repeat("l", 10000) + strings.Repeat("e", 10000) + "e", ErrMalformed},
		"too long":           {"d1:v70000:" + strings.Repeat("x", 70000) + "e", ErrTooLong},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseExtHandshake([]byte(tt.in))
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestParseExtHandshakeIgnoresUnknownKeys(t *testing.T) {
	in := "d1:ad1:bl1:ci1eee1:md1:xi1ee1:zi5ee"
	e, err := ParseExtHandshake([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"x": 1}, e.M)
}
