package webrtc

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/transport"
)

// Signal makes an Announcer for the torrent and tracker the spec names,
// with the transport's shared negotiation limit and the spec's callbacks.
func TestTransportSignal(t *testing.T) {
	limit := NewPendingLimit(3)
	tr := NewTransport(Config{Limit: limit})
	assert.Equal(t, Name, tr.Name())
	assert.Equal(t, transport.Traits{}, tr.Traits())
	var got [20]byte
	s, err := tr.Signal(transport.SignalSpec{
		URL: "ws://127.0.0.1:1/", InfoHash: [20]byte{1}, PeerID: [20]byte{2},
		Want:      func() bool { return false },
		Connected: func(id [20]byte) bool { got = id; return true },
		OnConn:    func(c net.Conn, _ [20]byte) {},
	})
	require.NoError(t, err)
	a, ok := s.(*Announcer)
	require.True(t, ok)
	assert.Equal(t, "ws://127.0.0.1:1/", a.cfg.URL)
	assert.Equal(t, [20]byte{1}, a.cfg.InfoHash)
	assert.Equal(t, [20]byte{2}, a.cfg.PeerID)
	assert.Same(t, limit, a.rtc.Limit)
	assert.False(t, a.cfg.Want())
	assert.True(t, a.cfg.Connected([20]byte{9}))
	assert.Equal(t, [20]byte{9}, got)
}
