package socks5

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	p, err := ParseURL("socks5://10.0.0.1:1081")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1:1081", p.Addr)
	assert.Empty(t, p.Username)

	p, err = ParseURL("socks5h://alice:s%3Acret@proxy.example")
	require.NoError(t, err)
	assert.Equal(t, "proxy.example:1080", p.Addr)
	assert.Equal(t, "alice", p.Username)
	assert.Equal(t, "s:cret", p.Password)
	assert.Equal(t, "socks5://alice:xxxxx@proxy.example:1080", p.String())

	p, err = ParseURL("socks5://[::1]:9050/")
	require.NoError(t, err)
	assert.Equal(t, "[::1]:9050", p.Addr)

	for _, bad := range []string{"", "10.0.0.1:1080", "http://10.0.0.1:8080", "socks4://h:1", "socks5://",
		"socks5://h:0", "socks5://h:70000", "socks5://h:x", "socks5://alice@h:1", "socks5://h:1/path", "socks5://h:1?q=1",
		"socks5://:1080", "socks5://a:b@h:1#frag", "%zz"} {
		_, err := ParseURL(bad)
		assert.ErrorIs(t, err, ErrBadURL, bad)
	}
	// The password never shows in the error.
	_, err = ParseURL("socks5://alice:hunter2@h:0")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, err.Error(), "\n")
}

func TestRequestEncoding(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want []byte
	}{
		{"10.1.2.3:6881", []byte{5, 1, 0, 1, 10, 1, 2, 3, 0x1a, 0xe1}},
		{"[::ffff:10.1.2.3]:80", []byte{5, 1, 0, 1, 10, 1, 2, 3, 0, 80}},
		{"[2001:db8::1]:80", append(append([]byte{5, 1, 0, 4}, netip.MustParseAddr("2001:db8::1").AsSlice()...), 0, 80)},
		{"tracker.example:443", append(append([]byte{5, 1, 0, 3, 15}, "tracker.example"...), 1, 0xbb)},
	} {
		got, err := appendRequest(nil, cmdConnect, tc.addr)
		require.NoError(t, err, tc.addr)
		assert.Equal(t, tc.want, got, tc.addr)
		// The same address in a reply reads back.
		a, err := ReadReply(bytes.NewReader(append([]byte{5, 0, 0}, got[3:]...)))
		require.NoError(t, err)
		want := tc.addr
		if tc.addr == "[::ffff:10.1.2.3]:80" {
			want = "10.1.2.3:80"
		}
		assert.Equal(t, want, a.String())
	}
	for _, bad := range []string{"noport", "h:99999", "[fe80::1%eth0]:1", ":1"} {
		_, err := appendRequest(nil, cmdConnect, bad)
		assert.Error(t, err, bad)
	}
}

func TestReadReplyErrors(t *testing.T) {
	_, err := ReadReply(bytes.NewReader([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}))
	var re *ReplyError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, byte(5), re.Code)
	assert.ErrorIs(t, err, ErrRefused)
	assert.Equal(t, "connection refused", err.Error())

	_, err = ReadReply(bytes.NewReader([]byte{5, 0, 0, 1, 127}))
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = ReadReply(bytes.NewReader([]byte{0, 90, 0, 0}))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestUDPHeader(t *testing.T) {
	h, err := AppendUDPHeader(nil, "10.0.0.9:6969")
	require.NoError(t, err)
	a, payload, err := ParseUDPHeader(append(h, "hello"...))
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.9:6969", a.String())
	assert.Equal(t, "hello", string(payload))

	h[2] = 1 // a fragment is dropped
	_, _, err = ParseUDPHeader(append(h, "x"...))
	assert.True(t, errors.Is(err, ErrMalformed))
}

func TestAuthenticate(t *testing.T) {
	// No credentials: we offer only "none".
	c := &fakeConn{r: bytes.NewReader([]byte{5, 0})}
	require.NoError(t, authenticate(c, "", ""))
	assert.Equal(t, []byte{5, 1, 0}, c.w.Bytes())

	// With credentials the proxy may pick RFC 1929.
	c = &fakeConn{r: bytes.NewReader([]byte{5, 2, 1, 0})}
	require.NoError(t, authenticate(c, "al", "pw"))
	assert.Equal(t, []byte{5, 2, 0, 2, 1, 2, 'a', 'l', 2, 'p', 'w'}, c.w.Bytes())

	c = &fakeConn{r: bytes.NewReader([]byte{5, 2, 1, 1})}
	assert.ErrorIs(t, authenticate(c, "al", "pw"), ErrAuth)
	c = &fakeConn{r: bytes.NewReader([]byte{5, 0xff})}
	err := authenticate(c, "", "")
	assert.ErrorIs(t, err, ErrAuth)
	assert.Contains(t, err.Error(), "wants credentials")
	// A method we did not offer.
	c = &fakeConn{r: bytes.NewReader([]byte{5, 2})}
	assert.ErrorIs(t, authenticate(c, "", ""), ErrMalformed)
	c = &fakeConn{r: bytes.NewReader([]byte{5})}
	assert.ErrorIs(t, authenticate(c, "", ""), ErrMalformed)
}
