package lsd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hashA = "0123456789abcdef0123456789abcdef01234567"

// libtorrentAnnounce is a BT-SEARCH message as libtorrent 2.0 sends it.
const libtorrentAnnounce = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
	"Infohash: 0123456789ABCDEF0123456789ABCDEF01234567\r\ncookie: 5d3f\r\n\r\n\r\n"

func TestParseLibtorrentAnnounce(t *testing.T) {
	m, err := Parse([]byte(libtorrentAnnounce))
	require.NoError(t, err)
	assert.Equal(t, "239.192.152.143:6771", m.Host)
	assert.Equal(t, uint16(6881), m.Port)
	require.Len(t, m.InfoHashes, 1)
	assert.Equal(t, hashA, hexOf(m.InfoHashes[0]))
	assert.Equal(t, "5d3f", m.Cookie)
}

func hexOf(ih [20]byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range ih {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func TestMarshalRoundTrip(t *testing.T) {
	m := Message{Host: HostV6, Port: 51413, Cookie: "abc",
		InfoHashes: [][20]byte{{1, 2, 3}, {0xff, 0xee}}}
	b, err := m.Marshal()
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 51413\r\n")))
	assert.True(t, bytes.HasSuffix(b, []byte("\r\n\r\n\r\n")))
	got, err := Parse(b)
	require.NoError(t, err)
	assert.Equal(t, m, got)

	// A full batch still fits one datagram.
	m.InfoHashes = make([][20]byte, MaxInfoHashes)
	b, err = m.Marshal()
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), MaxMessageSize)
}

func TestMarshalRefuses(t *testing.T) {
	for name, m := range map[string]Message{
		"no hash":     {Port: 1},
		"port 0":      {Port: 0, InfoHashes: [][20]byte{{}}},
		"many hashes": {Port: 1, InfoHashes: make([][20]byte, MaxInfoHashes+1)},
		"bad cookie":  {Port: 1, InfoHashes: [][20]byte{{}}, Cookie: "a b"},
		"long cookie": {Port: 1, InfoHashes: [][20]byte{{}}, Cookie: strings.Repeat("c", 65)},
	} {
		_, err := m.Marshal()
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

func TestParseLenient(t *testing.T) {
	// LF line ends, mixed-case names, no Host or cookie, unknown headers.
	m, err := Parse([]byte("BT-SEARCH * HTTP/1.1\nPORT:  7000\nX-Other: y\ninfohash:" + hashA + "\n\n"))
	require.NoError(t, err)
	assert.Equal(t, uint16(7000), m.Port)
	assert.Equal(t, hashA, hexOf(m.InfoHashes[0]))
	assert.Empty(t, m.Cookie)
}

func TestParseRefuses(t *testing.T) {
	ok := func(lines ...string) string {
		return "BT-SEARCH * HTTP/1.1\r\n" + strings.Join(lines, "\r\n") + "\r\n\r\n"
	}
	ih := "Infohash: " + hashA
	for name, msg := range map[string]string{
		"empty":            "",
		"other request":    strings.Replace(ok("Port: 1", ih), "BT-SEARCH", "M-SEARCH", 1),
		"no port":          ok(ih),
		"port 0":           ok("Port: 0", ih),
		"port too big":     ok("Port: 65536", ih),
		"port sign":        ok("Port: +80", ih),
		"port long":        ok("Port: 000080", ih),
		"two ports":        ok("Port: 1", "Port: 2", ih),
		"no hash":          ok("Port: 1"),
		"short hash":       ok("Port: 1", "Infohash: abc"),
		"not hex":          ok("Port: 1", "Infohash: "+strings.Repeat("g", 40)),
		"no colon":         ok("Port: 1", ih, "garbage"),
		"two cookies":      ok("Port: 1", ih, "cookie: a", "cookie: b"),
		"no blank line":    "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n" + ih + "\r\n",
		"too many hashes":  ok(append([]string{"Port: 1"}, repeat(ih, MaxInfoHashes+1)...)...),
		"too many lines":   ok(append([]string{"Port: 1", ih}, repeat("X: y", maxLines+4)...)...),
		"too large":        ok("Port: 1", ih, "X: "+strings.Repeat("y", MaxMessageSize)),
		"control in value": ok("Port: 1", ih, "cookie: a\x00b"),
	} {
		_, err := Parse([]byte(msg))
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
	// The limits themselves are accepted.
	m, err := Parse([]byte(ok(append([]string{"Port: 65535"}, repeat(ih, MaxInfoHashes)...)...)))
	require.NoError(t, err)
	assert.Len(t, m.InfoHashes, MaxInfoHashes)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// FuzzParse: Parse never panics, and what it accepts marshals and parses
// back the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(libtorrentAnnounce))
	f.Add([]byte("BT-SEARCH * HTTP/1.1\nPort: 1\nInfohash: " + hashA + "\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		require.NotZero(t, m.Port)
		require.NotEmpty(t, m.InfoHashes)
		require.LessOrEqual(t, len(m.InfoHashes), MaxInfoHashes)
		b, err := m.Marshal()
		require.NoError(t, err)
		back, err := Parse(b)
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}
