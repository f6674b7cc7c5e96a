package tcp

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/braid-bt/braid/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenDialRoundTrip(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	done := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- nil
			return
		}
		defer c.Close()
		b := make([]byte, 5)
		_, _ = io.ReadFull(c, b)
		done <- b
	}()
	c, err := Dial(context.Background(), l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, []byte("hello"), <-done)
}

func TestDialRefusedIsWrapped(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = Dial(context.Background(), addr)
	require.ErrorContains(t, err, "tcp: dial "+addr)
}

func TestTransport(t *testing.T) {
	var d transport.Fallback = NewDialer(nil)
	assert.Equal(t, Name, d.Name())
	assert.True(t, d.Traits().MSE, "MSE runs over TCP")
	assert.False(t, d.Traits().MSEFirst, "plain first")
	assert.Nil(t, d.Fallback())
	hp, ok := d.DialAddr("10.0.0.1:6881")
	assert.True(t, ok)
	assert.Equal(t, "10.0.0.1:6881", hp)
	for _, other := range []string{"utp://10.0.0.1:6881", "ws://example.org/", "wss://example.org/"} {
		_, ok := d.DialAddr(other)
		assert.False(t, ok, other)
	}

	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var a transport.Acceptor = l
	assert.Equal(t, Name, a.Name())
	assert.Equal(t, l.Addr().(*net.TCPAddr).Port, l.Port())
	c, err := NewDialer(nil).Dial(context.Background(), l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	in, err := a.Accept()
	require.NoError(t, err)
	defer in.Close()
	assert.Equal(t, c.LocalAddr().String(), in.RemoteAddr().String())
}
