//go:build !js

package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
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

// TestDialerVia: a Dialer with Via opens its TCP connection with it (a
// proxy's CONNECT) and not directly, even when Via fails.
func TestDialerVia(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var asked []string
	failing := Dialer{Via: func(_ context.Context, network, addr string) (net.Conn, error) {
		asked = append(asked, network+" "+addr)
		return nil, errors.New("proxy down")
	}}
	_, err = failing.Dial(context.Background(), l.URL())
	require.ErrorContains(t, err, "proxy down")
	require.Len(t, asked, 1)
	assert.Equal(t, "tcp "+strings.TrimSuffix(strings.TrimPrefix(l.URL(), "ws://"), "/"), asked[0])

	working := Dialer{Via: func(ctx context.Context, network, addr string) (net.Conn, error) {
		asked = append(asked, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	c, err := working.Dial(context.Background(), l.URL())
	require.NoError(t, err)
	defer c.Close()
	assert.Len(t, asked, 2)
	_, err = c.Write([]byte("hi"))
	require.NoError(t, err)
	in, err := l.Accept()
	require.NoError(t, err)
	defer in.Close()
	b := make([]byte, 2)
	_, err = io.ReadFull(in, b)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(b))
}
