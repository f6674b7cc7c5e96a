package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleHandshake() Handshake {
	var h Handshake
	copy(h.InfoHash[:], bytes.Repeat([]byte{0xaa}, 20))
	copy(h.PeerID[:], "-BD0001-abcdefghijkl")
	return h
}

func TestHandshakeRoundTrip(t *testing.T) {
	h := sampleHandshake()
	h.SetExtended()
	h.SetFast()
	h.SetDHT()
	b := h.Append([]byte("xx"))
	require.Len(t, b, 2+HandshakeLen)
	assert.Equal(t, "\x13BitTorrent protocol", string(b[2:22]))
	got, err := ParseHandshake(b[2:])
	require.NoError(t, err)
	assert.Equal(t, h, got)

	got, err = ReadHandshake(bytes.NewReader(b[2:]))
	require.NoError(t, err)
	assert.Equal(t, h, got)
}

func TestHandshakeFlags(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*Handshake)
		want  [8]byte
		check func(*Handshake) bool
	}{
		{"extended", (*Handshake).SetExtended, [8]byte{5: 0x10}, (*Handshake).SupportsExtended},
		{"fast", (*Handshake).SetFast, [8]byte{7: 0x04}, (*Handshake).SupportsFast},
		{"dht", (*Handshake).SetDHT, [8]byte{7: 0x01}, (*Handshake).SupportsDHT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handshake
			for _, other := range tests {
				assert.False(t, other.check(&h))
			}
			tt.set(&h)
			assert.Equal(t, tt.want, h.Reserved)
			for _, other := range tests {
				assert.Equal(t, other.name == tt.name, other.check(&h), other.name)
			}
			// Bits survive the wire and are read from a peer's bytes.
			got, err := ParseHandshake(h.Append(nil))
			require.NoError(t, err)
			assert.True(t, tt.check(&got))
		})
	}
	// Unrelated reserved bits from peers are kept and do not confuse the checks.
	h := Handshake{Reserved: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0xfa}}
	assert.False(t, h.SupportsExtended())
	assert.False(t, h.SupportsFast())
	assert.False(t, h.SupportsDHT())
}

func TestParseHandshakeHostile(t *testing.T) {
	h := sampleHandshake()
	good := h.Append(nil)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := map[string][]byte{
		"empty":      nil,
		"short":      good[:67],
		"long":       append(append([]byte(nil), good...), 0),
		"pstrlen 18": mutate(func(b []byte) []byte { b[0] = 18; return b }),
		"pstrlen 0":  mutate(func(b []byte) []byte { b[0] = 0; return b }),
		"pstr":       mutate(func(b []byte) []byte { b[1] = 'b'; return b }),
		"pstr end":   mutate(func(b []byte) []byte { b[19] = 'L'; return b }),
	}
	for name, in := range tests {
		_, err := ParseHandshake(in)
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
	_, err := ReadHandshake(bytes.NewReader(good[:30]))
	assert.Error(t, err)
}
