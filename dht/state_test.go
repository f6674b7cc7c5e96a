package dht

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateRoundTrip(t *testing.T) {
	s := state{ID: infoHash("me")}
	for i := range 5 {
		s.Nodes = append(s.Nodes, savedNode{
			ID:   infoHash("node" + string(rune('a'+i))),
			Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), uint16(6881+i)),
		})
	}
	s.Nodes = append(s.Nodes, savedNode{ID: infoHash("v6"), Addr: netip.MustParseAddrPort("[2001:db8::1]:6881")})
	b, err := encodeState(s)
	require.NoError(t, err)
	got, err := decodeState(b)
	require.NoError(t, err)
	assert.Equal(t, s, got)
}

func TestStateEncodeDropsUnusableAndCaps(t *testing.T) {
	s := state{}
	s.Nodes = append(s.Nodes, savedNode{ID: infoHash("x"), Addr: netip.MustParseAddrPort("0.0.0.0:6881")})
	for i := range maxStateNodes + 10 {
		s.Nodes = append(s.Nodes, savedNode{ID: infoHash("n"), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1)})
	}
	b, err := encodeState(s)
	require.NoError(t, err)
	got, err := decodeState(b)
	require.NoError(t, err)
	assert.Len(t, got.Nodes, maxStateNodes)
	assert.Equal(t, [20]byte{}, got.ID)
	assert.Equal(t, netip.MustParseAddrPort("10.1.0.0:1"), got.Nodes[0].Addr)
}

func TestDecodeState(t *testing.T) {
	id := strings.Repeat("i", 20)
	node := func(id, addr string) string {
		return "d4:addr" + itoa(len(addr)) + ":" + addr + "2:id" + itoa(len(id)) + ":" + id + "e"
	}
	tests := []struct {
		name    string
		in      string
		nodes   []string // wanted addresses
		wantErr bool
	}{
		{"empty", "", nil, true},
		{"not bencode", "hello", nil, true},
		{"list", "le", nil, true},
		{"no version", "d5:nodeslee", nil, true},
		{"future version", "d5:nodesle7:versioni2ee", nil, true},
		{"too large", "d5:nodesl" + strings.Repeat("de", maxStateSize) + "e7:versioni1ee", nil, true},
		{"no nodes", "d5:nodesle7:versioni1ee", nil, false},
		{"good and bad entries", "d2:id20:" + id + "5:nodesl" +
			node(id, "192.0.2.1:6881") +
			node(id, "192.0.2.1:6881") + // repeated
			node("short", "192.0.2.2:6881") +
			node(id, "192.0.2.3:0") +
			node(id, "0.0.0.0:6881") +
			node(id, "example.com:6881") +
			node(strings.Repeat("\x00", 20), "192.0.2.4:6881") +
			node(id, "[::ffff:192.0.2.5]:6881") +
			"i5e" +
			"e7:versioni1ee", nil, true}, // an integer in the list: the shape is wrong
		{"good and bad dicts", "d2:id20:" + id + "5:nodesl" +
			node(id, "192.0.2.1:6881") +
			node(id, "192.0.2.1:6881") +
			node("short", "192.0.2.2:6881") +
			node(id, "192.0.2.3:0") +
			node(id, "0.0.0.0:6881") +
			node(id, "example.com:6881") +
			node(strings.Repeat("\x00", 20), "192.0.2.4:6881") +
			node(id, "[::ffff:192.0.2.5]:6881") +
			"e7:versioni1ee", []string{"192.0.2.1:6881", "192.0.2.5:6881"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decodeState([]byte(tt.in))
			if tt.wantErr {
				require.ErrorIs(t, err, ErrBadState)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, n := range s.Nodes {
				got = append(got, n.Addr.String())
			}
			assert.Equal(t, tt.nodes, got)
		})
	}
}

func infoHash(s string) [20]byte {
	var ih [20]byte
	copy(ih[:], fmt.Sprintf("%-20s", s))
	return ih
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzDecodeState(f *testing.F) {
	b, _ := encodeState(state{ID: infoHash("me"), Nodes: []savedNode{
		{ID: infoHash("a"), Addr: netip.MustParseAddrPort("192.0.2.1:6881")},
		{ID: infoHash("b"), Addr: netip.MustParseAddrPort("[2001:db8::1]:51413")},
	}})
	f.Add(b)
	f.Add([]byte("d5:nodesle7:versioni1ee"))
	f.Add([]byte("d5:nodesld4:addr3:x:12:id1:yee7:versioni1ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeState(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadState)
			return
		}
		require.LessOrEqual(t, len(s.Nodes), maxStateNodes)
		for _, n := range s.Nodes {
			require.True(t, usableNodeAddr(n.Addr), "%v", n.Addr)
			require.NotEqual(t, [20]byte{}, n.ID)
		}
		// What we read, we write back the same.
		again, err := encodeState(s)
		require.NoError(t, err)
		s2, err := decodeState(again)
		require.NoError(t, err)
		require.Equal(t, s, s2)
	})
}
