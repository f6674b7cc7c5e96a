package blocklist

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, s string) *List {
	t.Helper()
	l, err := Parse(strings.NewReader(s), Options{})
	require.NoError(t, err)
	return l
}

func blocked(l *List, s string) bool { return l.Contains(netip.MustParseAddr(s)) }

func TestP2P(t *testing.T) {
	l := parse(t, `# PeerGuardian list
Some org:1.2.3.0-1.2.3.255
Other, Inc. - a:b:10.0.0.5-10.0.0.9

Single:192.168.1.1-192.168.1.1
v6 range:2001:db8::-2001:db8::ffff
`)
	for _, a := range []string{"1.2.3.0", "1.2.3.128", "1.2.3.255", "10.0.0.5", "10.0.0.9", "192.168.1.1",
		"2001:db8::", "2001:db8::ff", "2001:db8::ffff", "::ffff:1.2.3.4"} {
		assert.True(t, blocked(l, a), a)
	}
	for _, a := range []string{"1.2.2.255", "1.2.4.0", "10.0.0.4", "10.0.0.10", "192.168.1.2", "2001:db8::1:0", "::1"} {
		assert.False(t, blocked(l, a), a)
	}
	assert.Equal(t, 4, l.Len())
}

func TestDat(t *testing.T) {
	l := parse(t, `// eMule ipfilter.dat
001.002.003.000 - 001.002.003.255 , 000 , Some range
005.000.000.000 - 005.000.000.010 , 127 , Almost allowed
006.000.000.000 - 006.000.000.010 , 128 , Allowed
007.000.000.000 - 007.000.000.010 , 200 , Allowed too
008.000.000.000 - 008.000.000.010 , 100
2001:db8::1 - 2001:db8::2 , 0 , IPv6, with commas, in the description
`)
	for _, a := range []string{"1.2.3.0", "1.2.3.255", "5.0.0.10", "8.0.0.0", "2001:db8::2"} {
		assert.True(t, blocked(l, a), a)
	}
	for _, a := range []string{"1.2.4.0", "6.0.0.1", "7.0.0.10", "2001:db8::3"} {
		assert.False(t, blocked(l, a), a)
	}
}

func TestMixedAndBare(t *testing.T) {
	l := parse(t, "3.3.3.3\n4.4.4.0-4.4.4.7\r\n2001:db8::5-2001:db8::6\nd:9.9.9.9-9.9.9.9")
	assert.True(t, blocked(l, "3.3.3.3"))
	assert.True(t, blocked(l, "4.4.4.7"))
	assert.True(t, blocked(l, "2001:db8::6"))
	assert.True(t, blocked(l, "9.9.9.9"))
	assert.False(t, blocked(l, "3.3.3.4"))
}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte("x:1.2.3.4-1.2.3.5\n"))
	require.NoError(t, zw.Close())
	l, err := Parse(&buf, Options{})
	require.NoError(t, err)
	assert.True(t, blocked(l, "1.2.3.5"))
	assert.False(t, blocked(l, "1.2.3.6"))

	// A gzip stream cut short is one error, not a partial list.
	var cut bytes.Buffer
	zw = gzip.NewWriter(&cut)
	_, _ = zw.Write(bytes.Repeat([]byte("x:1.2.3.4-1.2.3.5\n"), 1000))
	require.NoError(t, zw.Close())
	_, err = Parse(bytes.NewReader(cut.Bytes()[:cut.Len()/2]), Options{})
	require.ErrorIs(t, err, ErrMalformed)
}

func TestMergeAndEdges(t *testing.T) {
	l := parse(t, `a:10.0.0.0-10.0.0.100
b:10.0.0.50-10.0.0.200
c:10.0.0.201-10.0.0.255
d:0.0.0.0-0.0.0.0
e:255.255.255.0-255.255.255.255
f:255.255.255.255-255.255.255.255
g:ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
h:::-::1
i:::2-::3
`)
	// 10.0.0.0-255 merged (overlap and adjacency), 0.0.0.0, the top /24;
	// ::-::3 merged, the top of IPv6.
	assert.Equal(t, 5, l.Len())
	for _, a := range []string{"10.0.0.0", "10.0.0.150", "10.0.0.255", "0.0.0.0", "255.255.255.255", "255.255.255.0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::", "::3"} {
		assert.True(t, blocked(l, a), a)
	}
	for _, a := range []string{"10.0.1.0", "9.255.255.255", "0.0.0.1", "255.255.254.255", "::4",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffef"} {
		assert.False(t, blocked(l, a), a)
	}
	var none *List
	assert.False(t, none.Contains(netip.MustParseAddr("1.2.3.4")))
	assert.False(t, l.Contains(netip.Addr{}))
}

func TestIPv4Mapped(t *testing.T) {
	// A range written as IPv4-mapped IPv6 blocks the IPv4 addresses, and
	// an IPv6 range over the mapped space blocks those it covers.
	l := parse(t, "a:::ffff:1.1.1.0-::ffff:1.1.1.9\nb:::ffff:0:0-::ffff:0.0.0.255\n")
	assert.True(t, blocked(l, "1.1.1.5"))
	assert.True(t, blocked(l, "::ffff:1.1.1.5"))
	assert.True(t, blocked(l, "0.0.0.200"))
	assert.False(t, blocked(l, "1.1.1.10"))

	l = parse(t, "wide:ffff::-ffff::1\nspan:::fffe:0:0-::ffff:2.0.0.0\n")
	assert.True(t, blocked(l, "1.255.255.255"))
	assert.True(t, blocked(l, "2.0.0.0"))
	assert.False(t, blocked(l, "2.0.0.1"))
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ok:1.2.3.4-1.2.3.5\nnot a range\n", "blocklist line 2:"},
		{"x:1.2.3.9-1.2.3.4", "ends before it starts"},
		{"x:1.2.3.4-2001:db8::1", "line 1:"},
		{"1.2.3.4 - 1.2.3.5 , abc , d", "access level"},
		{"x:256.1.1.1-256.1.1.2", "line 1:"},
		{"\n\n# c\n" + strings.Repeat("a", MaxLineLength+1) + "\n", "blocklist line 4: longer than 4096 bytes"},
	} {
		_, err := Parse(strings.NewReader(tc.in), Options{})
		require.Error(t, err, tc.in)
		assert.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), tc.want)
		var le *LineError
		assert.True(t, errors.As(err, &le))
	}
}

func TestSkipMalformed(t *testing.T) {
	in := "junk\nx:1.2.3.4-1.2.3.5\n" + strings.Repeat("b", 3*MaxLineLength) + "\n1.1.1.1 - 1.1.1.2 , zz\ny:5.5.5.5-5.5.5.5"
	l, err := Parse(strings.NewReader(in), Options{SkipMalformed: true})
	require.NoError(t, err)
	assert.Equal(t, 3, l.Skipped())
	assert.True(t, blocked(l, "1.2.3.4"))
	assert.True(t, blocked(l, "5.5.5.5"))
}

func TestLimits(t *testing.T) {
	// Line length: exactly MaxLineLength is fine.
	line := "d" + strings.Repeat(" ", MaxLineLength-len("d:1.2.3.4-1.2.3.5")) + ":1.2.3.4-1.2.3.5"
	require.Len(t, line, MaxLineLength)
	l := parse(t, line+"\r\n")
	assert.True(t, blocked(l, "1.2.3.4"))

	if testing.Short() {
		t.Skip("large inputs")
	}
	// Too many ranges.
	var b strings.Builder
	for i := 0; i <= MaxRanges; i++ {
		b.WriteString("1.2.3.4\n")
	}
	_, err := Parse(strings.NewReader(b.String()), Options{SkipMalformed: true})
	require.ErrorIs(t, err, ErrTooLarge)

	// Too many bytes, even of comments, even compressed.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	chunk := []byte(strings.Repeat("#", 1023) + "\n")
	for i := 0; i <= MaxBytes/len(chunk); i++ {
		_, _ = zw.Write(chunk)
	}
	require.NoError(t, zw.Close())
	_, err = Parse(&buf, Options{})
	require.ErrorIs(t, err, ErrTooLarge)
}
