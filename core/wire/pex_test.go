package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pexAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestPEXRoundTrip(t *testing.T) {
	tests := map[string]PEXMsg{
		"mixed": {
			Added:      []netip.AddrPort{pexAddr("1.2.3.4:6881"), pexAddr("10.0.0.1:1"), pexAddr("[2001:db8::1]:51413"), pexAddr("[::ffff:1.2.3.4]:80")},
			AddedFlags: []byte{PEXSeed | PEXReachable, 0, PEXEncryption, PEXUTP},
			Dropped:    []netip.AddrPort{pexAddr("5.6.7.8:65535"), pexAddr("[2001:db8::2]:2")},
		},
		"only dropped": {Dropped: []netip.AddrPort{pexAddr("5.6.7.8:1")}},
		"empty":        {},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			enc := AppendPEX(nil, m)
			var generic map[string]interface{}
			require.NoError(t, bencode.Unmarshal(enc, &generic), "canonical bencode")
			assert.Len(t, generic, 6, "every key is sent")
			got, err := ParsePEX(enc)
			require.NoError(t, err)
			assert.Equal(t, m, got)
		})
	}
}

func TestAppendPEXBytes(t *testing.T) {
	m := PEXMsg{
		Added:   []netip.AddrPort{pexAddr("1.2.3.4:258"), pexAddr("[::1]:1"), {}, pexAddr("9.9.9.9:0")},
		Dropped: []netip.AddrPort{pexAddr("4.3.2.1:1"), pexAddr("[::]:0")},
		// Flags shorter than Added: the rest are zero.
		AddedFlags: []byte{PEXSeed},
	}
	want := "d5:added6:\x01\x02\x03\x04\x01\x027:added.f1:\x02" +
		"6:added618:" + string(netip.MustParseAddr("::1").AsSlice()) + "\x00\x01" + "8:added6.f1:\x00" +
		"7:dropped6:\x04\x03\x02\x01\x00\x018:dropped60:e"
	assert.Equal(t, want, string(AppendPEX([]byte{}, m)))
}

func TestParsePEX(t *testing.T) {
	// Port-0 entries are skipped with their flags; a flags string of the
	// wrong length is ignored.
	payload := "d5:added12:\x01\x01\x01\x01\x00\x00\x02\x02\x02\x02\x00\x07" + "7:added.f2:\x01\x02" +
		"6:added618:" + string(netip.MustParseAddr("2001:db8::9").AsSlice()) + "\x1a\xe1" + "8:added6.f3:abc" +
		"7:dropped6:\x03\x03\x03\x03\x00\x00" + "1:xi5ee"
	m, err := ParsePEX([]byte(payload))
	require.NoError(t, err)
	assert.Equal(t, PEXMsg{
		Added:      []netip.AddrPort{pexAddr("2.2.2.2:7"), pexAddr("[2001:db8::9]:6881")},
		AddedFlags: []byte{0x02, 0},
	}, m)

	m, err = ParsePEX([]byte("de"))
	require.NoError(t, err)
	assert.Equal(t, PEXMsg{}, m)
}

func TestParsePEXErrors(t *testing.T) {
	entries := func(n, size int) string { return strings.Repeat("\x01", n*size) }
	tests := map[string]struct {
		payload string
		want    error
	}{
		"empty":             {"", ErrMalformed},
		"not a dict":        {"le", ErrMalformed},
		"truncated":         {"d5:added", ErrMalformed},
		"trailing":          {"dex", ErrMalformed},
		"added not string":  {"d5:addedi1ee", ErrMalformed},
		"flags not string":  {"d5:added0:7:added.fi1ee", ErrMalformed},
		"dropped6 list":     {"d8:dropped6lee", ErrMalformed},
		"partial entry":     {"d5:added5:12345e", ErrMalformed},
		"partial v6 entry":  {"d6:added66:123456e", ErrMalformed},
		"too many added":    {"d5:added1206:" + entries(201, 6) + "e", ErrTooLong},
		"too many dropped6": {"d8:dropped63618:" + entries(201, 18) + "e", ErrTooLong},
		"payload too long":  {"d1:x" + "40000:" + strings.Repeat("y", 40000) + "e", ErrTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := ParsePEX([]byte(tc.payload))
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, PEXMsg{}, m)
		})
	}

	m, err := ParsePEX([]byte("d5:added1200:" + entries(200, 6) + "e"))
	require.NoError(t, err, "the limit itself is fine")
	assert.Len(t, m.Added, 200)
}

func FuzzParsePEX(f *testing.F) {
	for _, m := range samplePEXMsgs() {
		f.Add(AppendPEX(nil, m))
	}
	f.Add([]byte("d5:added6:\x01\x02\x03\x04\x00\x007:added.f2:abe"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := ParsePEX(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(m.AddedFlags) != len(m.Added) {
			t.Fatalf("%d flags for %d added", len(m.AddedFlags), len(m.Added))
		}
		if len(m.Added) > 2*MaxPEXPeers || len(m.Dropped) > 2*MaxPEXPeers {
			t.Fatalf("lists over the limit: %d added, %d dropped", len(m.Added), len(m.Dropped))
		}
		enc := AppendPEX(nil, m)
		m2, err := ParsePEX(enc)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if !pexEqual(m, m2) {
			t.Fatalf("re-parse %+v, want %+v", m2, m)
		}
	})
}

func pexEqual(a, b PEXMsg) bool {
	eq := func(x, y []netip.AddrPort) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eq(a.Added, b.Added) && eq(a.Dropped, b.Dropped) && bytes.Equal(a.AddedFlags, b.AddedFlags)
}

func samplePEXMsgs() map[string]PEXMsg {
	return map[string]PEXMsg{
		"v4": {Added: []netip.AddrPort{pexAddr("192.168.1.10:6881"), pexAddr("10.1.2.3:51413")}, AddedFlags: []byte{PEXSeed, PEXEncryption | PEXReachable}},
		"v6": {
			Added:   []netip.AddrPort{pexAddr("[2001:db8::1]:6881")},
			Dropped: []netip.AddrPort{pexAddr("[2001:db8::2]:6882"), pexAddr("172.16.0.1:1")},
		},
		"dropped": {Dropped: []netip.AddrPort{pexAddr("8.8.4.4:443")}},
		"empty":   {},
	}
}
