//go:build !js

package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/transport"
)

// Through the transport interfaces alone: the dialer claims ws:// URLs
// and reaches the listener, whose Accept ends with net.ErrClosed.
func TestTransport(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	var a transport.Acceptor = l
	var d transport.Dialer = Dialer{}
	assert.Equal(t, Name, a.Name())
	assert.Equal(t, Name, d.Name())
	assert.False(t, a.Traits().MSE || d.Traits().MSE, "no MSE inside WebSocket")
	_, ok := d.DialAddr("127.0.0.1:6881")
	assert.False(t, ok, "a bare host:port is TCP's")
	addr, ok := d.DialAddr(l.URL())
	require.True(t, ok)

	c, err := d.Dial(context.Background(), addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hi"))
	require.NoError(t, err)
	in, err := a.Accept()
	require.NoError(t, err)
	defer in.Close()
	b := make([]byte, 2)
	_, err = io.ReadFull(in, b)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(b))

	require.NoError(t, a.Close())
	_, err = a.Accept()
	assert.True(t, errors.Is(err, net.ErrClosed), "%v", err)
}
