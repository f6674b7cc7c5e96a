package webseed

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in                 string
		first, last, total int64
	}{
		{"bytes 0-0/1", 0, 0, 1},
		{"bytes 16384-32767/40000", 16384, 32767, 40000},
		{"Bytes 5-9/*", 5, 9, -1},
		{"  bytes  5-9/10 ", 5, 9, 10},
		{"bytes 0-9223372036854775806/9223372036854775807", 0, 9223372036854775806, 9223372036854775807},
	} {
		first, last, total, err := ParseContentRange(tc.in)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, [3]int64{tc.first, tc.last, tc.total}, [3]int64{first, last, total}, tc.in)
		}
	}
	for _, in := range []string{
		"", "bytes", "bytes 0-9", "bytes=0-9/10", "items 0-9/10", "bytes */10", "bytes 0-/10",
		"bytes -9/10", "bytes 9-0/10", "bytes 0-10/10", "bytes +0-9/10", "bytes 0-9/-1",
		"bytes 0-9/ 10", "bytes 0x0-9/10", "bytes 0-9/10/11", "bytes 0-9223372036854775808/*",
		"bytes 0-9,20-29/100", "bytes 0-9/10abc", string(make([]byte, 300)),
	} {
		_, _, _, err := ParseContentRange(in)
		assert.ErrorIs(t, err, ErrBadResponse, "%q", in)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 17 ", 17 * time.Second, true},
		{"600", 10 * time.Minute, true},
		{"601", MaxBackoff, true},
		{"99999999999999999999999", MaxBackoff, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), MaxBackoff, true},
		{"Thursday, 06-May-30 07:09:09 GMT", time.Minute, true}, // RFC 850
		{"tomorrow", 0, false},
	} {
		d, ok := ParseRetryAfter(tc.in, now)
		require.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, d, "%q", tc.in)
	}
}
