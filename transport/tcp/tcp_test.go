package tcp

import (
	"context"
	"io"
	"testing"

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
