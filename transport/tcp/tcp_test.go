package tcp

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

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

// TestDialerVia: a Dialer made with a proxy's dial function opens every
// connection with it and never directly, even when it fails.
func TestDialerVia(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- struct{}{}
			_ = c.Close()
		}
	}()
	var asked []string
	failing := NewDialerVia(func(_ context.Context, network, addr string) (net.Conn, error) {
		asked = append(asked, network+" "+addr)
		return nil, errors.New("proxy down")
	}, nil)
	_, err = failing.Dial(context.Background(), l.Addr().String())
	require.ErrorContains(t, err, "proxy down")
	assert.Equal(t, []string{"tcp " + l.Addr().String()}, asked)
	select {
	case <-accepted:
		t.Fatal("the dialer went around its proxy")
	case <-time.After(200 * time.Millisecond):
	}

	working := NewDialerVia(func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, ok := ctx.Deadline()
		assert.True(t, ok, "the dial is bounded")
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}, nil)
	c, err := working.Dial(context.Background(), l.Addr().String())
	require.NoError(t, err)
	_ = c.Close()
	<-accepted
}
