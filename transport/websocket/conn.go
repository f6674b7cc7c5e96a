//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nhooyr.io/websocket"
)

// conn is a WebSocket as a net.Conn carrying the peer-wire byte stream.
//
// Reads come from websocket.NetConn, which reads a message only as the
// caller asks for bytes, so a slow reader leaves data in the kernel (TCP
// flow control) instead of in memory. Writes are cut into messages of at
// most maxWriteMessage bytes.
//
// Deadlines differ from TCP in one way: a deadline that expires while a
// Read or Write is blocked closes the connection (the WebSocket library
// cannot abandon a half-read frame). The engine drops a peer on any
// timeout, so this costs nothing there.
type conn struct {
	nc            net.Conn
	ws            *websocket.Conn
	local, remote net.Addr

	writeMu   sync.Mutex // keeps the messages of one Write together
	readDL    atomic.Int64
	writeDL   atomic.Int64
	closeOnce sync.Once
}

func newConn(ws *websocket.Conn, local, remote net.Addr) *conn {
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	// NetConn lifts the read limit; a hostile peer must not send 4 GiB in
	// one message.
	ws.SetReadLimit(MaxMessageSize)
	return &conn{nc: nc, ws: ws, local: local, remote: remote}
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.nc.Read(p)
	if err != nil {
		err = c.wrap("read", err, &c.readDL)
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxWriteMessage)
		if _, err := c.nc.Write(p[:k]); err != nil {
			return n, c.wrap("write", err, &c.writeDL)
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

// Close drops the connection at once, without waiting for the peer's half
// of the close handshake: the engine closes peers from its torrent loop,
// which must not wait on a hostile peer.
func (c *conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		closeConn(c)
	})
	return err
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.readDL.Store(unixNano(t))
	return c.nc.SetReadDeadline(t)
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.writeDL.Store(unixNano(t))
	return c.nc.SetWriteDeadline(t)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// wrap turns library errors into ones callers can test: io.EOF for a clean
// close, os.ErrDeadlineExceeded after a deadline, ErrTextMessage and
// ErrMessageTooBig for hostile peers.
func (c *conn) wrap(op string, err error, deadline *atomic.Int64) error {
	if err == io.EOF {
		return err
	}
	if dl := deadline.Load(); dl != 0 && time.Now().UnixNano() >= dl {
		return fmt.Errorf("websocket: %s %s: %w", op, c.remote, os.ErrDeadlineExceeded)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unexpected frame type"):
		return fmt.Errorf("websocket: %s %s: %w", op, c.remote, ErrTextMessage)
	case strings.Contains(msg, "read limited at"), websocket.CloseStatus(err) == websocket.StatusMessageTooBig:
		return fmt.Errorf("websocket: %s %s: %w", op, c.remote, ErrMessageTooBig)
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("websocket: %s %s: %w", op, c.remote, net.ErrClosed)
	}
	return fmt.Errorf("websocket: %s %s: %w", op, c.remote, err)
}

// Addr names the far end of a dialed WebSocket where no TCP address is known
// (the browser hides it): the URL's host:port.
type Addr struct {
	HostPort string
}

// Network returns Name.
func (Addr) Network() string { return Name }

// String returns the host:port.
func (a Addr) String() string { return a.HostPort }
