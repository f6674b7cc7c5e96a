//go:build cgo && !js

package utp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listen(t testing.TB) *Socket {
	t.Helper()
	s, err := Listen("udp4", "127.0.0.1:0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// roundTrip dials b from a, sends msg (the dialler speaks first, as a
// BitTorrent initiator does) and reads it back echoed.
func roundTrip(t testing.TB, a, b *Socket, msg []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	echoed := make(chan error, 1)
	go func() {
		c, err := acceptFrom(b, a.Addr())
		if err != nil {
			echoed <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(c, io.LimitReader(c, int64(len(msg))))
		echoed <- err
	}()
	c, err := a.Dial(ctx, b.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	go func() { _, _ = c.Write(msg) }()
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.True(t, bytes.Equal(msg, got), "the echo differs")
	require.NoError(t, <-echoed)
}

// acceptFrom accepts until a connection from addr arrives, closing others
// (the fuzzer's half-open SYNs).
func acceptFrom(s *Socket, addr net.Addr) (net.Conn, error) {
	for {
		c, err := s.Accept()
		if err != nil || c.RemoteAddr().String() == addr.String() {
			return c, err
		}
		_ = c.Close()
	}
}

func TestDialAcceptRoundTrip(t *testing.T) {
	a, b := listen(t), listen(t)
	msg := make([]byte, 3<<20) // many windows: loss-free ordering, acks
	_, _ = rand.Read(msg)
	roundTrip(t, a, b, msg)
	assert.Equal(t, "udp", b.Addr().Network())
}

// The DHT shares the port: datagrams that are not uTP come out of
// PacketConn, and its writes leave from the same port.
func TestOtherDatagramsReachPacketConn(t *testing.T) {
	s := listen(t)
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer peer.Close()
	query := []byte("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe")
	_, err = peer.WriteTo(query, s.Addr())
	require.NoError(t, err)

	pc := s.PacketConn()
	buf := make([]byte, 1500)
	n, from, err := pc.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, query, buf[:n])
	assert.Equal(t, peer.LocalAddr().String(), from.String())

	_, err = pc.WriteTo([]byte("reply"), from)
	require.NoError(t, err)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, from, err = peer.ReadFrom(buf)
	require.NoError(t, err)
	assert.Equal(t, "reply", string(buf[:n]))
	assert.Equal(t, s.Addr().String(), from.String())

	// The shared view cannot close the port under uTP.
	require.NoError(t, pc.Close())
	roundTrip(t, listen(t), s, []byte("still here"))
}

func TestCloseEndsAcceptAndPacketReads(t *testing.T) {
	s, err := Listen("udp4", "127.0.0.1:0", nil)
	require.NoError(t, err)
	accepted := make(chan error, 1)
	read := make(chan error, 1)
	go func() { _, err := s.Accept(); accepted <- err }()
	go func() { _, _, err := s.PacketConn().ReadFrom(make([]byte, 10)); read <- err }()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, <-accepted, net.ErrClosed)
	assert.ErrorIs(t, <-read, net.ErrClosed)
	_, err = s.PacketConn().WriteTo([]byte("x"), s.Addr())
	assert.ErrorIs(t, err, net.ErrClosed)
}

func TestDialNobodyFailsWithinContext(t *testing.T) {
	a := listen(t)
	gone, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := gone.LocalAddr().String()
	gone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = a.Dial(ctx, addr)
	require.Error(t, err)
	assert.ErrorContains(t, err, "utp: dial "+addr)
	assert.Less(t, time.Since(start), 5*time.Second, "bounded by the context")
}

func TestDialBadAddress(t *testing.T) {
	a := listen(t)
	_, err := a.Dial(context.Background(), "not an address")
	assert.ErrorContains(t, err, "utp: dial not an address")
	assert.False(t, errors.Is(err, net.ErrClosed))
}

// Datagrams from a hostile sender (uTP headers of every type with random
// fields and lengths, extension chains that overrun the packet, bare
// noise) neither crash the socket nor stop it serving: after each one a
// new connection still round-trips. libutp parses them; this is the
// property Braid relies on.
func TestHostileDatagrams(t *testing.T) {
	a, b := listen(t), listen(t)
	sender, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer sender.Close()
	go func() { // what is not uTP queues for the DHT; drain it
		buf := make([]byte, 1<<16)
		for {
			if _, _, err := b.PacketConn().ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	r := mrand.New(mrand.NewPCG(1, 2))
	for i := range 2000 {
		d := make([]byte, 1+r.IntN(64))
		for j := range d {
			d[j] = byte(r.Uint32())
		}
		if i%4 != 0 {
			d[0] = byte(r.IntN(5))<<4 | 1 // a version-1 header of a real type
		}
		if i%8 == 1 && len(d) > 1 {
			d[1] = 1 // a selective-ack extension, whatever length follows
		}
		_, err := sender.WriteTo(d, b.Addr())
		require.NoError(t, err)
		roundTrip(t, a, b, []byte("alive"))
		if t.Failed() {
			t.Fatalf("after datagram %d (%x) the socket stopped serving", i, d)
		}
	}
}

// Errors read like TCP's: a deadline is os.ErrDeadlineExceeded, the
// peer's close is io.EOF (or a reset), our own close net.ErrClosed.
func TestErrorsReadLikeTCP(t *testing.T) {
	a, b := listen(t), listen(t)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := b.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := a.Dial(context.Background(), b.Addr().String())
	require.NoError(t, err)
	_, err = c.Write([]byte("hi")) // the acceptor learns of us on data
	require.NoError(t, err)
	var peer net.Conn
	select {
	case peer = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
	}

	require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err = c.Read(make([]byte, 10))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	require.NoError(t, peer.Close())
	_, err = c.Read(make([]byte, 10))
	require.True(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), "%v", err)

	require.NoError(t, c.Close())
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
}
