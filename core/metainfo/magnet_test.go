package metainfo

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testHex    = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
	testBase32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK" // the same hash
)

func testHash(t *testing.T) [20]byte {
	var h [20]byte
	_, err := hex.Decode(h[:], []byte(testHex))
	require.NoError(t, err)
	return h
}

func TestParseMagnet(t *testing.T) {
	h := testHash(t)
	tests := map[string]struct {
		uri  string
		want Magnet
	}{
		"hex only": {
			uri:  "magnet:?xt=urn:btih:" + testHex,
			want: Magnet{InfoHash: h},
		},
		"upper hex, scheme and urn case": {
			uri:  "MAGNET:?xt=URN:BTIH:" + strings.ToUpper(testHex),
			want: Magnet{InfoHash: h},
		},
		"base32": {
			uri:  "magnet:?xt=urn:btih:" + testBase32,
			want: Magnet{InfoHash: h},
		},
		"base32 lower case": {
			uri:  "magnet:?xt=urn:btih:" + strings.ToLower(testBase32),
			want: Magnet{InfoHash: h},
		},
		"full": {
			uri: "magnet:?xt=urn:btih:" + testHex + "&dn=Ubuntu+22.04%20desktop" +
				"&tr=udp%3A%2F%2Ftracker.example%3A6969%2Fannounce&tr=http://t.example/announce?a=1%26b=2" +
				"&ws=https%3A%2F%2Fseed.example%2Ffiles%2F&x.pe=10.0.0.1:6881&x.pe=[2001:DB8::1]:51413" +
				"&x.pe=Peer.Example:80&so=0,2,4-6",
			want: Magnet{
				InfoHash:   h,
				Name:       "Ubuntu 22.04 desktop",
				Trackers:   []string{"udp://tracker.example:6969/announce", "http://t.example/announce?a=1&b=2"},
				WebSeeds:   []string{"https://seed.example/files/"},
				Peers:      []string{"10.0.0.1:6881", "[2001:db8::1]:51413", "peer.example:80"},
				SelectOnly: []int{0, 2, 4, 5, 6},
			},
		},
		"numbered trackers keep order and dedupe": {
			uri:  "magnet:?xt=urn:btih:" + testHex + "&tr.1=udp://a.example:1&tr.2=udp://b.example:2&tr=udp://a.example:1",
			want: Magnet{InfoHash: h, Trackers: []string{"udp://a.example:1", "udp://b.example:2"}},
		},
		"plus stays in URLs": {
			uri:  "magnet:?xt=urn:btih:" + testHex + "&tr=http://t.example/a+b",
			want: Magnet{InfoHash: h, Trackers: []string{"http://t.example/a+b"}},
		},
		"bad entries skipped": {
			uri: "magnet:?xt=urn:btih:" + testHex +
				"&tr=ftp://x.example/&tr=notaurl&tr=http://&tr=http://bad%zz&tr=http://a%20b/" +
				"&ws=udp://x.example/&x.pe=1.2.3.4&x.pe=1.2.3.4:0&x.pe=1.2.3.4:65536&x.pe=0.0.0.0:1" +
				"&x.pe=[ff02::1]:1&x.pe=-bad-.example:1&x.pe=1.2.3:4&x.pe=[fe80::1%25eth0]:1&x.pe=h.example:+1" +
				"&tr=udp://ok.example:1",
			want: Magnet{InfoHash: h, Trackers: []string{"udp://ok.example:1"}},
		},
		"first btih and first btmh win, others ignored": {
			uri: "magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 32) + "&xt=urn:sha1:XYZ&xt.1=urn:btih:" + testHex +
				"&xt.2=urn:btih:" + strings.Repeat("0", 40) + "&xt.3=urn:btmh:1220" + strings.Repeat("cd", 32),
			want: Magnet{InfoHash: h, InfoHashV2: [32]byte(bytes.Repeat([]byte{0xab}, 32))},
		},
		"btmh alone, upper-case hex": {
			uri:  "magnet:?xt=urn:btmh:1220" + strings.Repeat("AB", 32),
			want: Magnet{InfoHashV2: [32]byte(bytes.Repeat([]byte{0xab}, 32))},
		},
		"btmh of another hash function skipped": {
			uri:  "magnet:?xt=urn:btmh:1114" + strings.Repeat("ab", 20) + "&xt=urn:btih:" + testHex,
			want: Magnet{InfoHash: h},
		},
		"first dn wins, controls removed": {
			uri:  "magnet:?dn=a%1B[31mb%00c&xt=urn:btih:" + testHex + "&dn=second",
			want: Magnet{InfoHash: h, Name: "a[31mbc"},
		},
		"invalid utf-8 name replaced": {
			uri:  "magnet:?xt=urn:btih:" + testHex + "&dn=%FFok",
			want: Magnet{InfoHash: h, Name: "\uFFFDok"},
		},
		"so merged across params": {
			uri:  "magnet:?xt=urn:btih:" + testHex + "&so=5-7,1&so=6,0-1,99999",
			want: Magnet{InfoHash: h, SelectOnly: []int{0, 1, 5, 6, 7, 99999}},
		},
		"fragment, unknown keys and empty params ignored": {
			uri:  "  magnet:?&&xt=urn:btih:" + testHex + "&xl=1234&kt=a+b&x.foo=1#frag&tr=udp://x.example:1 ",
			want: Magnet{InfoHash: h},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := ParseMagnet(tc.uri)
			require.NoError(t, err)
			assert.Equal(t, tc.want, *m)
		})
	}
}

func TestParseMagnetErrors(t *testing.T) {
	tests := map[string]struct {
		uri  string
		want string
	}{
		"empty":           {"", "not a magnet URI"},
		"http":            {"http://example.com/?xt=urn:btih:" + testHex, "not a magnet URI"},
		"no query":        {"magnet:xt=urn:btih:" + testHex, "no query"},
		"no xt":           {"magnet:?dn=x&tr=udp://t.example:1", "no urn:btih"},
		"short hex":       {"magnet:?xt=urn:btih:" + testHex[:39], "39 characters"},
		"bad hex":         {"magnet:?xt=urn:btih:" + testHex[:39] + "g", "bad hex"},
		"bad base32":      {"magnet:?xt=urn:btih:" + testBase32[:31] + "1", "bad base32"},
		"bad escape":      {"magnet:?xt=urn:btih:%zz" + testHex, "bad percent escape"},
		"second xt bad":   {"magnet:?xt=urn:btih:" + testHex + "&xt=urn:btih:abc", "3 characters"},
		"empty btih":      {"magnet:?xt=urn:btih:", "0 characters"},
		"so reversed":     {"magnet:?xt=urn:btih:" + testHex + "&so=6-4", "reversed"},
		"so too large":    {"magnet:?xt=urn:btih:" + testHex + "&so=100000", "too large"},
		"so huge number":  {"magnet:?xt=urn:btih:" + testHex + "&so=99999999999999999999999", "too large"},
		"so not a number": {"magnet:?xt=urn:btih:" + testHex + "&so=a", "not a number"},
		"so negative":     {"magnet:?xt=urn:btih:" + testHex + "&so=-1", "not a number"},
		"so empty item":   {"magnet:?xt=urn:btih:" + testHex + "&so=1,,2", "not a number"},
		"so empty":        {"magnet:?xt=urn:btih:" + testHex + "&so=", "not a number"},
		"too long":        {"magnet:?xt=urn:btih:" + testHex + "&dn=" + strings.Repeat("a", MaxMagnetLen), "limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := ParseMagnet(tc.uri)
			require.ErrorIs(t, err, ErrMalformedMagnet)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, m)
		})
	}
}

func TestParseMagnetV2(t *testing.T) {
	v2 := strings.Repeat("ab", 32)
	m, err := ParseMagnet("magnet:?xt=urn:btmh:1220" + v2 + "&dn=x")
	require.NoError(t, err)
	assert.Equal(t, v2, hex.EncodeToString(m.InfoHashV2[:]))
	assert.Zero(t, m.InfoHash)
	assert.True(t, m.HasV2())
	assert.False(t, m.HasV1())
	assert.Equal(t, "magnet:?xt=urn:btmh:1220"+v2+"&dn=x", m.String())

	m, err = ParseMagnet("magnet:?xt=urn:btih:" + testHex + "&xt=urn:btmh:1220" + v2)
	require.NoError(t, err)
	assert.True(t, m.HasV1())
	assert.True(t, m.HasV2())
	assert.Equal(t, "magnet:?xt=urn:btih:"+testHex+"&xt=urn:btmh:1220"+v2, m.String())

	// Only btmh topics of unknown hash functions: nothing Braid can use.
	_, err = ParseMagnet("magnet:?xt=urn:btmh:1114" + strings.Repeat("ab", 20))
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorIs(t, err, ErrMalformedMagnet)

	for name, bad := range map[string]string{
		"short":      "1220" + v2[:62],
		"long":       "1220" + v2 + "ab",
		"bad hex":    "1220" + strings.Repeat("zz", 32),
		"odd length": "1220" + v2 + "a",
		"wrong size": "1221" + v2,
		"all zero":   "1220" + strings.Repeat("0", 64),
		"empty":      "",
		"huge":       strings.Repeat("ab", 300),
	} {
		_, err := ParseMagnet("magnet:?xt=urn:btih:" + testHex + "&xt=urn:btmh:" + bad)
		assert.ErrorIs(t, err, ErrMalformedMagnet, name)
	}
}

func TestParseMagnetBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("magnet:?xt=urn:btih:" + testHex)
	for i := range 150 {
		fmt.Fprintf(&b, "&tr=udp://t%d.example:1&x.pe=10.0.0.%d:1&ws=http://w%d.example/", i, i%256, i)
	}
	b.WriteString("&so=0-99999,5-99999,0-3")
	m, err := ParseMagnet(b.String())
	require.NoError(t, err)
	assert.Len(t, m.Trackers, MaxMagnetItems)
	assert.Len(t, m.Peers, MaxMagnetItems)
	assert.Len(t, m.WebSeeds, MaxMagnetItems)
	assert.Equal(t, "udp://t99.example:1", m.Trackers[99], "the first ones are kept")
	require.Len(t, m.SelectOnly, MaxSelectIndex)
	assert.Equal(t, MaxSelectIndex-1, m.SelectOnly[MaxSelectIndex-1])

	// Many overlapping maximal ranges cost their length, not their span.
	uri := "magnet:?xt=urn:btih:" + testHex + "&so=" + strings.Repeat("0-99999,", 7000) + "1"
	require.Less(t, len(uri), MaxMagnetLen)
	m, err = ParseMagnet(uri)
	require.NoError(t, err)
	assert.Len(t, m.SelectOnly, MaxSelectIndex)
}

func TestMagnetString(t *testing.T) {
	h := testHash(t)
	m := Magnet{
		InfoHash:   h,
		Name:       "a&b=c+d %e/ü",
		Trackers:   []string{"udp://t.example:6969/announce", "http://t.example/a?x=1&y=2"},
		WebSeeds:   []string{"https://w.example/f"},
		Peers:      []string{"1.2.3.4:5", "[2001:db8::1]:6"},
		SelectOnly: []int{7, 0, 2, 3, 4, 2},
	}
	s := m.String()
	assert.Equal(t, "magnet:?xt=urn:btih:"+testHex+
		"&dn=a%26b%3Dc%2Bd%20%25e/%C3%BC"+
		"&tr=udp://t.example:6969/announce&tr=http://t.example/a%3Fx%3D1%26y%3D2"+
		"&ws=https://w.example/f&x.pe=1.2.3.4:5&x.pe=%5B2001:db8::1%5D:6&so=0,2-4,7", s)
	got, err := ParseMagnet(s)
	require.NoError(t, err)
	want := m
	want.SelectOnly = []int{0, 2, 3, 4, 7}
	assert.Equal(t, want, *got)

	assert.Equal(t, "magnet:?xt=urn:btih:"+strings.Repeat("0", 40), (&Magnet{}).String())
	assert.NotContains(t, (&Magnet{SelectOnly: []int{-1, MaxSelectIndex}}).String(), "so=")
}

func FuzzParseMagnet(f *testing.F) {
	for _, s := range magnetSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		m, err := ParseMagnet(uri)
		if err != nil {
			if !errors.Is(err, ErrMalformedMagnet) {
				t.Fatalf("error does not wrap ErrMalformedMagnet: %v", err)
			}
			require.Nil(t, m)
			return
		}
		require.LessOrEqual(t, len(m.Trackers), MaxMagnetItems)
		require.LessOrEqual(t, len(m.Peers), MaxMagnetItems)
		require.LessOrEqual(t, len(m.WebSeeds), MaxMagnetItems)
		for i, idx := range m.SelectOnly {
			require.True(t, idx >= 0 && idx < MaxSelectIndex, "index %d", idx)
			require.True(t, i == 0 || m.SelectOnly[i-1] < idx, "sorted and unique")
		}
		s := m.String()
		m2, err := ParseMagnet(s)
		require.NoError(t, err, "re-parsing %q", s)
		require.Equal(t, *m, *m2, "re-parsing %q", s)
		require.Equal(t, s, m2.String())
	})
}

// magnetSeeds are the FuzzParseMagnet seed corpus (TestWriteMagnetFuzzSeeds
// -update writes them to testdata).
func magnetSeeds() map[string]string {
	return map[string]string{
		"hex":    "magnet:?xt=urn:btih:" + testHex,
		"base32": "magnet:?xt=urn:btih:" + testBase32 + "&dn=name",
		"qbittorrent": "magnet:?xt=urn:btih:" + testHex + "&dn=debian-12.5.0-amd64-netinst.iso" +
			"&tr=http%3A%2F%2Fbttracker.debian.org%3A6969%2Fannounce",
		"webtorrent": "magnet:?xt=urn:btih:08ada5a7a6183aae1e09d831df6748d566095a10&dn=Sintel" +
			"&tr=udp%3A%2F%2Fexplodie.org%3A6969&tr=wss%3A%2F%2Ftracker.btorrent.xyz" +
			"&ws=https%3A%2F%2Fwebtorrent.io%2Ftorrents%2F",
		"hybrid": "magnet:?xt=urn:btih:631a31dd0a46257d5078c0dee4e66e26f73e42ac" +
			"&xt=urn:btmh:1220d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb&dn=bittorrent-v1-v2-hybrid-test",
		"v2only":     "magnet:?xt=urn:btmh:1220d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb",
		"btmh-other": "magnet:?xt=urn:btmh:1114" + strings.Repeat("ab", 20) + "&xt=urn:btmh:1220" + strings.Repeat("CD", 32),
		"btmh-bad":   "magnet:?xt=urn:btih:" + testHex + "&xt=urn:btmh:1220abc",
		"peers":      "magnet:?xt=urn:btih:" + testHex + "&x.pe=10.0.0.1:6881&x.pe=[::1]:6881&x.pe=host.example:1&x.pe=bad",
		"select":     "magnet:?xt=urn:btih:" + testHex + "&so=0,2,4-6&so=9-3",
		"numbered":   "magnet:?xt.1=urn:btih:" + testHex + "&tr.1=udp://a:1&tr.2=udp://b:2&ws.1=http://w/",
		"escapes":    "magnet:?xt=urn%3Abtih%3A" + testHex + "&dn=%E2%9C%93+ok%2",
		"truncated":  "magnet:?xt=urn:btih:" + testHex[:20],
		"empty":      "",
		"bare":       "magnet:?",
	}
}

func TestMagnetWebSocketPeers(t *testing.T) {
	const ih = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
	m, err := ParseMagnet("magnet:?xt=urn:btih:" + ih +
		"&x.pe=ws%3A%2F%2F127.0.0.1%3A42239%2F&x.pe=WSS://Peer.Example:443/bt/peer&x.pe=ws://[::1]:8080" +
		"&x.pe=ws://127.0.0.1:0/&x.pe=ws://bad host:1/&x.pe=ws://1.2.3.4:5/a%20b c&x.pe=ws://1.2.3.4:5/" +
		"&x.pe=ws://ws://1.2.3.4:5/")
	require.NoError(t, err)
	require.Equal(t, []string{"ws://127.0.0.1:42239/", "wss://peer.example:443/bt/peer", "ws://[::1]:8080/", "ws://1.2.3.4:5/"}, m.Peers)
	again, err := ParseMagnet(m.String())
	require.NoError(t, err)
	require.Equal(t, m.Peers, again.Peers)
}
