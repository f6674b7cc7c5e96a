//go:build !js

//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"
)

func listen(t *testing.T, cfg ListenConfig) *Listener {
	t.Helper()
	l, err := cfg.Listen("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// pair returns a dialed conn and the listener's side of it.
func pair(t *testing.T, l *Listener) (client, server net.Conn) {
	t.Helper()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			acc <- nil
			return
		}
		acc <- c
	}()
	client, err := Dial(context.Background(), l.URL())
	require.NoError(t, err)
	server = <-acc
	require.NotNil(t, server)
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

// rawDial opens a WebSocket with the library directly, to send what Braid
// never would.
func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(context.Background(), url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func TestListenURL(t *testing.T) {
	l := listen(t, ListenConfig{})
	port := l.Addr().(*net.TCPAddr).Port
	assert.Equal(t, "ws://127.0.0.1:"+strconv.Itoa(port)+"/", l.URL())
	assert.True(t, IsURL(l.URL()))

	all, err := Listen(":0")
	require.NoError(t, err)
	defer all.Close()
	assert.Equal(t, "ws://127.0.0.1:"+strconv.Itoa(all.Addr().(*net.TCPAddr).Port)+"/", all.URL())
}

func TestExchangeBothWays(t *testing.T) {
	const size = 16 << 20
	l := listen(t, ListenConfig{})
	client, server := pair(t, l)
	assert.Equal(t, client.LocalAddr().String(), server.RemoteAddr().String())
	assert.Equal(t, "tcp", server.RemoteAddr().Network())
	assert.Equal(t, l.Addr().String(), client.RemoteAddr().String())

	rnd := rand.New(rand.NewPCG(1, 2))
	up := make([]byte, size)
	down := make([]byte, size)
	for i := range up {
		up[i] = byte(rnd.Uint32())
		down[i] = byte(rnd.Uint32())
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	send := func(c net.Conn, data []byte, seed uint64) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 7))
		for len(data) > 0 {
			n := min(len(data), 1+r.IntN(300<<10))
			if _, err := c.Write(data[:n]); err != nil {
				errs <- err
				return
			}
			data = data[n:]
		}
	}
	recv := func(c net.Conn, want []byte, seed uint64) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 9))
		got := make([]byte, 0, len(want))
		buf := make([]byte, 200<<10)
		for len(got) < len(want) {
			n, err := c.Read(buf[:1+r.IntN(len(buf)-1)])
			got = append(got, buf[:n]...)
			if err != nil {
				errs <- err
				return
			}
		}
		if !bytes.Equal(want, got) {
			errs <- errors.New("stream differs")
		}
	}
	wg.Add(4)
	go send(client, up, 1)
	go send(server, down, 2)
	go recv(server, up, 3)
	go recv(client, down, 4)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestWriteSplitsLongWrites(t *testing.T) {
	l := listen(t, ListenConfig{})
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	ws := rawDial(t, l.URL())
	ws.SetReadLimit(1 << 20)
	server := <-acc
	require.NotNil(t, server)
	defer server.Close()

	payload := bytes.Repeat([]byte{0xab}, 3*maxWriteMessage+5)
	go func() { _, _ = server.Write(payload) }()
	var sizes []int
	for total := 0; total < len(payload); {
		typ, b, err := ws.Read(context.Background())
		require.NoError(t, err)
		require.Equal(t, websocket.MessageBinary, typ)
		sizes = append(sizes, len(b))
		total += len(b)
	}
	assert.Equal(t, []int{maxWriteMessage, maxWriteMessage, maxWriteMessage, 5}, sizes)
}

func TestReadDeadline(t *testing.T) {
	l := listen(t, ListenConfig{})
	client, _ := pair(t, l)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err := client.Read(make([]byte, 10))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
}

func TestDeadlineClearedKeepsConn(t *testing.T) {
	l := listen(t, ListenConfig{})
	client, server := pair(t, l)
	// A deadline set and cleared before it expires changes nothing.
	require.NoError(t, client.SetDeadline(time.Now().Add(time.Hour)))
	require.NoError(t, client.SetDeadline(time.Time{}))
	_, err := server.Write([]byte("ping"))
	require.NoError(t, err)
	b := make([]byte, 4)
	_, err = io.ReadFull(client, b)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(b))
}

func TestWriteDeadlineWithStalledReader(t *testing.T) {
	l := listen(t, ListenConfig{})
	client, _ := pair(t, l) // the server side never reads
	require.NoError(t, client.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
	chunk := make([]byte, 1<<20)
	var err error
	for i := 0; i < 1024 && err == nil; i++ { // TCP buffers fill long before 1 GiB
		_, err = client.Write(chunk)
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestTextMessageRejected(t *testing.T) {
	l := listen(t, ListenConfig{})
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	ws := rawDial(t, l.URL())
	server := <-acc
	require.NotNil(t, server)
	defer server.Close()
	require.NoError(t, ws.Write(context.Background(), websocket.MessageBinary, []byte("ok")))
	require.NoError(t, ws.Write(context.Background(), websocket.MessageText, []byte("hello")))
	go func() { _, _, _ = ws.Read(context.Background()) }() // answer the close
	b := make([]byte, 2)
	_, err := io.ReadFull(server, b)
	require.NoError(t, err)
	assert.Equal(t, "ok", string(b))
	_, err = server.Read(b)
	require.ErrorIs(t, err, ErrTextMessage)
}

func TestMessageSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		size int
		ok   bool
	}{
		{MaxMessageSize, true},
		{MaxMessageSize + 1, false},
		{8 << 20, false},
	} {
		l := listen(t, ListenConfig{})
		acc := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			acc <- c
		}()
		ws := rawDial(t, l.URL())
		server := <-acc
		require.NotNil(t, server)
		go func() { _ = ws.Write(context.Background(), websocket.MessageBinary, make([]byte, tc.size)) }()
		go func() { _, _, _ = ws.Read(context.Background()) }()
		if tc.ok {
			n, err := io.Copy(io.Discard, io.LimitReader(server, int64(tc.size)))
			require.NoError(t, err)
			assert.Equal(t, int64(tc.size), n)
		} else {
			// The library lets one byte past the limit through before it
			// fails the read; the stream still ends there.
			n, err := io.Copy(io.Discard, server)
			require.ErrorIs(t, err, ErrMessageTooBig, "size %d", tc.size)
			assert.LessOrEqual(t, n, int64(MaxMessageSize+1))
		}
		_ = server.Close()
	}
}

func TestAnyPathAndOrigin(t *testing.T) {
	l := listen(t, ListenConfig{})
	go func() {
		c, err := l.Accept()
		if err == nil {
			_, _ = c.Write([]byte("hi"))
		}
	}()
	ws, _, err := websocket.Dial(context.Background(), strings.TrimSuffix(l.URL(), "/")+"/any/path?x=1",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://elsewhere.example"}}})
	require.NoError(t, err)
	defer ws.CloseNow()
	_, b, err := ws.Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "hi", string(b))
}

func TestPlainHTTPIsRefused(t *testing.T) {
	l := listen(t, ListenConfig{})
	resp, err := http.Get("http" + strings.TrimPrefix(l.URL(), "ws"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
}

func TestSlowHandshakeDropped(t *testing.T) {
	l := listen(t, ListenConfig{HandshakeTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	// Half a request, then silence: a slowloris.
	_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.Copy(io.Discard, c)
	require.NoError(t, err, "server closes the connection (EOF), not our deadline")
	// The listener still serves others.
	pair(t, l)
}

func TestUpgradedButNotAcceptedExpires(t *testing.T) {
	l := listen(t, ListenConfig{HandshakeTimeout: 200 * time.Millisecond})
	ws := rawDial(t, l.URL()) // nobody calls Accept
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := ws.Read(ctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
	// A later Accept does not return the expired connection.
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = l.Close()
	}()
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestMaxPendingUpgrades(t *testing.T) {
	l := listen(t, ListenConfig{MaxPending: 2, HandshakeTimeout: time.Minute})
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		idle = append(idle, c)
	}
	// The server counts both before the third arrives.
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.pending) == 2
	}, 5*time.Second, 5*time.Millisecond)

	extra, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer extra.Close()
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = extra.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "closed at once, long before the handshake timeout")

	for _, c := range idle {
		_ = c.Close()
	}
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.pending) == 0
	}, 5*time.Second, 5*time.Millisecond)
	pair(t, l)
}

func TestMaxPendingPerIP(t *testing.T) {
	l := listen(t, ListenConfig{MaxPendingPerIP: 2, HandshakeTimeout: time.Minute})
	dialFrom := func(ip string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		c, err := d.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	dialFrom("127.0.0.2")
	dialFrom("127.0.0.2")
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.pending) == 2
	}, 5*time.Second, 5*time.Millisecond)

	extra := dialFrom("127.0.0.2")
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := extra.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "a third pending connection from one IP is closed at once")
	// Another address is still served.
	pair(t, l)
}

func TestCloseUnblocksAccept(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-done, net.ErrClosed)
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, l.Close(), net.ErrClosed)
	_, err = Dial(context.Background(), l.URL())
	require.Error(t, err)
}

func TestCloseEndsPeerRead(t *testing.T) {
	l := listen(t, ListenConfig{})
	client, server := pair(t, l)
	done := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1))
		done <- err
	}()
	require.NoError(t, client.Close())
	require.Error(t, <-done)
	require.ErrorIs(t, client.Close(), net.ErrClosed)
	_, err := client.Write([]byte("x"))
	require.Error(t, err)
}

func TestNoGoroutinesLeftAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	l, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	const n = 100
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	// Each dial waits for its Accept: an upgraded connection holds one of
	// the listener's 8 pending slots per IP until Accept takes it, and a
	// loaded machine can finish several upgrades before the hand-over.
	var clients []net.Conn
	servers := make([]net.Conn, n)
	for i := range n {
		c, err := Dial(context.Background(), l.URL())
		require.NoError(t, err)
		clients = append(clients, c)
		servers[i] = <-accepted
		_, err = servers[i].Write([]byte{byte(i)})
		require.NoError(t, err)
	}
	seen := make(map[byte]bool)
	for _, c := range clients {
		b := make([]byte, 1)
		_, err := io.ReadFull(c, b)
		require.NoError(t, err)
		seen[b[0]] = true
	}
	require.Len(t, seen, n, "every accepted conn reached a distinct client")
	// Half closed server side first, half client side first.
	for i := range n {
		if i%2 == 0 {
			_ = servers[i].Close()
			_ = clients[i].Close()
		} else {
			_ = clients[i].Close()
			_ = servers[i].Close()
		}
	}
	require.NoError(t, l.Close())
	require.Eventually(t, func() bool {
		return runtime.NumGoroutine() <= before+2
	}, 10*time.Second, 20*time.Millisecond, "goroutines: before %d, now %d", before, runtime.NumGoroutine())
}

func TestDialErrors(t *testing.T) {
	_, err := Dial(context.Background(), "127.0.0.1:6881")
	require.ErrorIs(t, err, ErrNotURL)

	// A plain HTTP server is not a peer.
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	go func() {
		c, err := srv.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = http.ReadRequest(bufio.NewReader(c))
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno"))
	}()
	_, err = Dial(context.Background(), "ws://"+srv.Addr().String()+"/")
	require.ErrorContains(t, err, "websocket: dial ws://"+srv.Addr().String())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Dial(ctx, "ws://"+srv.Addr().String()+"/")
	require.Error(t, err)
}

// BenchmarkThroughput measures one direction of a loopback pair; the
// dialer masks every byte (RFC 6455), the listener does not.
func BenchmarkThroughput(b *testing.B) {
	for _, dir := range []string{"dialer-writes", "listener-writes"} {
		b.Run(dir, func(b *testing.B) {
			l, err := Listen("127.0.0.1:0")
			require.NoError(b, err)
			defer l.Close()
			acc := make(chan net.Conn, 1)
			go func() {
				c, _ := l.Accept()
				acc <- c
			}()
			client, err := Dial(context.Background(), l.URL())
			require.NoError(b, err)
			defer client.Close()
			server := <-acc
			require.NotNil(b, server)
			defer server.Close()
			w, r := client, server
			if dir == "listener-writes" {
				w, r = server, client
			}
			go func() { _, _ = io.Copy(io.Discard, r) }()
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for range b.N {
				if _, err := w.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
