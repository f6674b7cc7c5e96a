package webrtc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	peerA = [20]byte{'-', 'B', 'D', '0', '0', '0', '1', '-', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'}
	peerB = [20]byte{'-', 'B', 'D', '0', '0', '0', '1', '-', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b'}
)

func testConfig() Config { return Config{LoopbackOnly: true}.withDefaults() }

// pair connects two in-process PeerConnections by handing the SDP across
// directly and returns both ends once the channel is open.
func pair(tb testing.TB) (offerer, answerer *conn) {
	tb.Helper()
	cfg := testConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	pc1, dc1, offer, err := cfg.offer(ctx)
	require.NoError(tb, err)
	got := make(chan *conn, 1)
	var answer string
	_, answer, err = cfg.answer(ctx, offer, func(pc *webrtc.PeerConnection, dc *webrtc.DataChannel) {
		got <- newConn(pc, dc, peerB, peerA, nil)
	})
	require.NoError(tb, err)
	offerer = newConn(pc1, dc1, peerA, peerB, nil)
	require.NoError(tb, acceptAnswer(pc1, answer))
	select {
	case answerer = <-got:
	case <-ctx.Done():
		tb.Fatal("no data channel arrived")
	}
	for _, c := range []*conn{offerer, answerer} {
		select {
		case <-c.opened:
		case <-ctx.Done():
			tb.Fatal("data channel did not open")
		}
	}
	tb.Cleanup(func() { offerer.Close(); answerer.Close() })
	return offerer, answerer
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestConnBothWays(t *testing.T) {
	a, b := pair(t)
	size := 8 << 20
	if raceEnabled {
		size = 2 << 20
	}
	dataA, dataB := randomBytes(size, 1), randomBytes(size, 2)

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	recv := make([][]byte, 2)
	send := func(c net.Conn, data []byte) {
		defer wg.Done()
		// Uneven write sizes exercise message splitting and joining.
		for off, i := 0, 0; off < len(data); i++ {
			n := min(len(data)-off, 1+(i*7919)%70000)
			if _, err := c.Write(data[off : off+n]); err != nil {
				errs <- err
				return
			}
			off += n
		}
	}
	read := func(c net.Conn, i int) {
		defer wg.Done()
		buf := make([]byte, size)
		_, err := io.ReadFull(c, buf)
		if err != nil {
			errs <- err
		}
		recv[i] = buf
	}
	wg.Add(4)
	go send(a, dataA)
	go send(b, dataB)
	go read(b, 0)
	go read(a, 1)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	elapsed := time.Since(start)
	assert.True(t, bytes.Equal(dataA, recv[0]), "a -> b bytes differ")
	assert.True(t, bytes.Equal(dataB, recv[1]), "b -> a bytes differ")
	t.Logf("2 x %d MiB in %v: %.1f MB/s each way", size>>20, elapsed, float64(size)/elapsed.Seconds()/1e6)
}

func TestConnMessagesAtMost16KiB(t *testing.T) {
	a, b := pair(t)
	_, err := a.Write(make([]byte, 100_000))
	require.NoError(t, err)
	total := 0
	for total < 100_000 {
		require.NoError(t, b.SetReadDeadline(time.Now().Add(5*time.Second)))
		buf := make([]byte, 1<<20)
		n, err := b.Read(buf)
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, 100_000, total)
	// Read drains whole queued messages, so count what arrived instead:
	// send again, read it all, and compare the message count.
	before := b.messages()
	_, err = a.Write(make([]byte, 3*MaxMessageSize+5))
	require.NoError(t, err)
	total = 0
	for total < 3*MaxMessageSize+5 {
		require.NoError(t, b.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := b.Read(make([]byte, 1<<20))
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, 3*MaxMessageSize+5, total)
	assert.Equal(t, 4, b.messages()-before, "three full messages and a short one")
}

func TestConnReadDeadline(t *testing.T) {
	a, b := pair(t)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	start := time.Now()
	n, err := b.Read(make([]byte, 10))
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)

	// A passed deadline fails at once, even with data waiting.
	_, err = a.Write([]byte("hello"))
	require.NoError(t, err)
	_, err = b.Read(make([]byte, 10))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	// Clearing it makes the data readable again.
	require.NoError(t, b.SetReadDeadline(time.Time{}))
	buf := make([]byte, 10)
	n, err = io.ReadAtLeast(b, buf, 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))

	// Extending a deadline while a Read waits moves its timeout.
	require.NoError(t, b.SetDeadline(time.Now().Add(500*time.Millisecond)))
	done := make(chan error, 1)
	go func() { _, err := b.Read(buf); done <- err }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(time.Hour)))
	time.Sleep(time.Second) // past the first deadline
	select {
	case err := <-done:
		t.Fatalf("Read ended at the replaced deadline: %v", err)
	default:
	}
	_, err = a.Write([]byte("x"))
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("read did not return")
	}
}

func TestConnWriteBackPressureAndDeadline(t *testing.T) {
	a, b := pair(t) // the other end never reads
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(-time.Second)))
	n, err := a.Write([]byte("x"))
	assert.Equal(t, 0, n)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	// With nobody reading, queues fill and Write must stop (bounded memory).
	// Natively flow control holds it until the deadline. A browser cannot
	// pause a data channel: there the receiver's bounded queue overflows
	// and it closes the channel, which ends the writes.
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(2*time.Second)))
	const total = 256 << 20
	chunk := make([]byte, 1<<20)
	sent := 0
	for sent < total {
		n, err = a.Write(chunk)
		sent += n
		if err != nil {
			break
		}
	}
	require.Error(t, err)
	assert.Less(t, sent, 64<<20, "writes were not held back")
	t.Logf("sent %d MiB before the writer stopped: %v", sent>>20, err)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	require.Equal(t, "js", runtime.GOOS, "natively the writer waits for its deadline: %v", err)
	require.NoError(t, b.SetReadDeadline(time.Now().Add(10*time.Second)))
	got, err := io.Copy(io.Discard, b)
	require.ErrorIs(t, err, ErrRecvOverflow)
	assert.LessOrEqual(t, got, int64(recvQueueMax), "the receiver kept more than its bound")
}

// The peer's last messages before it closes its channel are read before
// the end (conn_js_test.go orders the browser's events by hand).
func TestConnReadsEverythingBeforeRemoteClose(t *testing.T) {
	for round := 0; round < 5; round++ {
		a, b := pair(t)
		want := make([]byte, 300<<10+round*777)
		for i := range want {
			want[i] = byte(i*7 + round)
		}
		_, err := a.Write(want)
		require.NoError(t, err)
		// Close only the channel, once every message has reached b's
		// platform side (Node's WebRTC may drop what it still buffers).
		messages := (len(want) + MaxMessageSize - 1) / MaxMessageSize
		require.Eventually(t, func() bool { return b.messages() >= messages }, 10*time.Second, time.Millisecond)
		require.NoError(t, a.dc.Close())
		require.NoError(t, b.SetReadDeadline(time.Now().Add(10*time.Second)))
		got, err := io.ReadAll(b)
		require.NoError(t, err, "round %d", round)
		require.Equal(t, len(want), len(got), "round %d", round)
		require.True(t, bytes.Equal(want, got), "round %d: bytes differ", round)
	}
}

func TestConnCloseUnblocksRead(t *testing.T) {
	a, b := pair(t)
	// One channel per end: the remote's read may end before the local one.
	local, remote := make(chan error, 1), make(chan error, 1)
	go func() { _, err := a.Read(make([]byte, 10)); local <- err }()
	go func() { _, err := b.Read(make([]byte, 10)); remote <- err }()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, a.Close())
	select {
	case err := <-local:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	// The remote end sees the connection end.
	select {
	case err := <-remote:
		require.Error(t, err)
		assert.False(t, errors.Is(err, net.ErrClosed), "remote read got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("remote Read did not end")
	}
	_, err := a.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = b.Write([]byte("x"))
	require.Error(t, err)
	require.NoError(t, a.Close(), "second Close")
}

func TestConnOnEndOnce(t *testing.T) {
	a, b := pair(t)
	var mu sync.Mutex
	ends := 0
	b.setOnEnd(func() { mu.Lock(); ends++; mu.Unlock() })
	require.NoError(t, a.Close())
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return ends == 1 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, b.Close())
	mu.Lock()
	assert.Equal(t, 1, ends)
	mu.Unlock()
}

func TestAddr(t *testing.T) {
	a, b := pair(t)
	assert.Equal(t, "webrtc", a.LocalAddr().Network())
	assert.Equal(t, "webrtc:2d4244303030", a.LocalAddr().String())
	assert.Equal(t, b.LocalAddr(), a.RemoteAddr())
	assert.Equal(t, a.LocalAddr(), b.RemoteAddr())
}

func BenchmarkConnOneWay(b *testing.B) {
	x, y := pair(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.CopyN(io.Discard, y, int64(len(buf))*int64(b.N))
	}()
	b.ResetTimer()
	for range b.N {
		if _, err := x.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}
