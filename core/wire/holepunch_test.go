package wire

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHolepunchRoundTrip(t *testing.T) {
	cases := []struct {
		m    HolepunchMsg
		wire string
	}{
		{HolepunchMsg{Type: HolepunchRendezvous, Addr: netip.MustParseAddrPort("10.1.2.3:6881")},
			"\x00\x00\x0a\x01\x02\x03\x1a\xe1"},
		{HolepunchMsg{Type: HolepunchConnect, Addr: netip.MustParseAddrPort("[::ffff:10.1.2.3]:1")},
			"\x01\x00\x0a\x01\x02\x03\x00\x01"},
		{HolepunchMsg{Type: HolepunchError, Addr: netip.MustParseAddrPort("[2001:db8::1]:51413"), Err: HolepunchNotConnected},
			"\x02\x01\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xc8\xd5\x00\x00\x00\x02"},
	}
	for _, c := range cases {
		b := AppendHolepunch(nil, c.m)
		assert.Equal(t, []byte(c.wire), b, c.m.Type.String())
		got, err := ParseHolepunch(b)
		require.NoError(t, err)
		want := c.m
		want.Addr = netip.AddrPortFrom(want.Addr.Addr().Unmap(), want.Addr.Port())
		assert.Equal(t, want, got)
	}
}

func TestHolepunchRejects(t *testing.T) {
	good := AppendHolepunch(nil, HolepunchMsg{Type: HolepunchError, Addr: netip.MustParseAddrPort("1.2.3.4:5"), Err: 1})
	// A connect message with the (zero) error code BEP 55 lists is taken.
	withCode := append(AppendHolepunch(nil, HolepunchMsg{Type: HolepunchConnect, Addr: netip.MustParseAddrPort("1.2.3.4:5")}), 0, 0, 0, 0)
	m, err := ParseHolepunch(withCode)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddrPort("1.2.3.4:5"), m.Addr)
	for name, b := range map[string][]byte{
		"error without code":   good[:len(good)-4],
		"empty":                nil,
		"one byte":             {0},
		"type 3":               append([]byte{3}, good[1:]...),
		"connect, half a code": withCode[:len(withCode)-2],
		"addr type 2":          append([]byte{1, 2}, good[2:]...),
		"short":                good[:len(good)-1],
		"trailing":             append(append([]byte(nil), good...), 0),
		"v6 too short":         append([]byte{1, 1}, good[2:]...),
	} {
		_, err := ParseHolepunch(b)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

// FuzzHolepunch: any payload parses or is ErrMalformed, and what parses
// encodes back to the same bytes (but for an IPv4-mapped address, which
// is written back as IPv4) and parses to the same message.
func FuzzHolepunch(f *testing.F) {
	f.Add(AppendHolepunch(nil, HolepunchMsg{Type: HolepunchRendezvous, Addr: netip.MustParseAddrPort("10.1.2.3:6881")}))
	f.Add(AppendHolepunch(nil, HolepunchMsg{Type: HolepunchError, Addr: netip.MustParseAddrPort("[2001:db8::1]:1"), Err: 4}))
	f.Add([]byte{2, 1, 0})
	f.Add(append([]byte{1, 1}, append(netip.MustParseAddr("::ffff:1.2.3.4").AsSlice(), 0, 1, 0, 0, 0, 0)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseHolepunch(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		if m.Addr.Addr().Is4In6() {
			t.Fatalf("parsed a mapped address from %x", b)
		}
		out := AppendHolepunch(nil, m)
		if len(out) == len(b) {
			require.Equal(t, b, out)
		}
		again, err := ParseHolepunch(out)
		require.NoError(t, err)
		require.Equal(t, m, again)
	})
}
