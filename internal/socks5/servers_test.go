package socks5_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/socks5"
	"github.com/braid-bt/braid/internal/socks5/socks5test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpWhoAmI answers each connection with the address it came from.
func tcpWhoAmI(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, c.RemoteAddr().String())
			_ = c.Close()
		}
	}()
	return l.Addr().String()
}

// udpWhoAmI answers each datagram with "ADDR payload", ADDR its source.
func udpWhoAmI(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		b := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte(from.String()+" "), b[:n]...), from)
		}
	}()
	return pc.LocalAddr().String()
}

// TestConnectMicrosocks: CONNECT through Debian's microsocks with RFC
// 1929 credentials reaches the target from the proxy's address, and the
// connection names the target as its remote address.
func TestConnectMicrosocks(t *testing.T) {
	target := tcpWhoAmI(t)
	srv := socks5test.Microsocks(t, "127.0.0.1", "127.0.0.2", "alice", "s3cret")
	p, err := socks5.ParseURL("socks5://alice:s3cret@" + srv.Addr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.DialContext(ctx, "tcp", target)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, target, c.RemoteAddr().String())
	assert.IsType(t, &net.TCPAddr{}, c.RemoteAddr())
	seen, err := io.ReadAll(c)
	require.NoError(t, err)
	host, _, err := net.SplitHostPort(string(seen))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.2", host, "the target saw the proxy's outgoing address")

	// Wrong password, and no credentials at all.
	bad := *p
	bad.Password = "wrong"
	_, err = bad.DialContext(ctx, "tcp", target)
	assert.ErrorIs(t, err, socks5.ErrAuth)
	none := *p
	none.Username, none.Password = "", ""
	_, err = none.DialContext(ctx, "tcp", target)
	assert.ErrorIs(t, err, socks5.ErrAuth)
	assert.Contains(t, err.Error(), "wants credentials")

	// A target nobody listens on is the proxy's failure, not ours to retry.
	_, err = p.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", itoa(socks5test.FreePort(t, "127.0.0.1"))))
	assert.ErrorIs(t, err, socks5.ErrRefused)

	// UDP is not CONNECT's.
	_, err = p.DialContext(ctx, "udp", target)
	assert.ErrorIs(t, err, socks5.ErrUnsupported)

	// The proxy gone: an error naming it, at once.
	srv.Stop()
	start := time.Now()
	_, err = p.DialContext(ctx, "tcp", target)
	require.Error(t, err)
	assert.Contains(t, err.Error(), srv.Addr)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestUDPAssociateDante: datagrams through dante's UDP relay reach the
// target from the proxy's external address and the answers come back;
// closing the connection ends the association.
func TestUDPAssociateDante(t *testing.T) {
	target := udpWhoAmI(t)
	srv := socks5test.Dante(t, "127.0.0.1", "127.0.0.3")
	p, err := socks5.ParseURL("socks5://" + srv.Addr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.DialUDP(ctx, target)
	require.NoError(t, err, srv.Log())
	assert.Equal(t, target, c.RemoteAddr().String())
	assert.IsType(t, &net.UDPAddr{}, c.RemoteAddr())
	for _, msg := range []string{"one", "two"} {
		_, err = c.Write([]byte(msg))
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		b := make([]byte, 512)
		n, err := c.Read(b)
		require.NoError(t, err, srv.Log())
		host, _, err := net.SplitHostPort(string(b[:n-len(msg)-1]))
		require.NoError(t, err, "reply %q", b[:n])
		assert.Equal(t, "127.0.0.3", host, "the target saw the relay's external address")
		assert.Equal(t, msg, string(b[n-len(msg):n]))
	}
	require.NoError(t, c.Close())
	// A deadline still ends a read with nothing to read (no hang).
	_, err = c.Read(make([]byte, 10))
	assert.Error(t, err)
}

func itoa(n int) string { return strconv.Itoa(n) }
