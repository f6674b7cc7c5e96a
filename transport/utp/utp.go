//go:build cgo && !js

// Package utp carries the BitTorrent peer wire over uTP (BEP 29), the
// UDP transport libtorrent, qBittorrent, Transmission and µTorrent prefer.
// It wraps libutp, the reference implementation those clients share
// (github.com/anacrolix/go-libutp, cgo).
//
// One Socket is one UDP port: it accepts and dials uTP connections, and
// every datagram that is not uTP (DHT messages on a shared port) is handed
// to its PacketConn.
package utp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	libutp "github.com/anacrolix/go-libutp"
	alog "github.com/anacrolix/log"
)

// Available reports whether this build carries uTP (it needs cgo).
const Available = true

// DefaultDialTimeout bounds a connection attempt.
const DefaultDialTimeout = 10 * time.Second

// bufferSize is libutp's per-socket send and receive buffer. Its 1 MiB
// default holds a fast peer to about 18 MB/s on loopback; 4 MiB lifts
// that past 28 MB/s for the cost of memory only a busy connection uses.
const bufferSize = 4 << 20

// Socket is a UDP port carrying uTP connections and, through PacketConn,
// anything else that arrives on it.
type Socket struct {
	s         *libutp.Socket
	closeOnce sync.Once
	closed    chan struct{}
}

// Listen opens a uTP socket on a UDP address. network is "udp", "udp4"
// or "udp6"; a port of 0 picks a free port.
func Listen(network, addr string, logger *slog.Logger) (*Socket, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s, err := libutp.NewSocket(network, addr, libutp.WithLogger(libraryLogger(logger)))
	if err != nil {
		return nil, fmt.Errorf("utp: listen on %s: %w", addr, err)
	}
	s.SetOption(libutp.SendBuffer, bufferSize)
	s.SetOption(libutp.RecvBuffer, bufferSize)
	return &Socket{s: s, closed: make(chan struct{})}, nil
}

// Accept waits for the next incoming uTP connection. After Close it
// returns net.ErrClosed.
func (s *Socket) Accept() (net.Conn, error) {
	c, err := s.s.Accept()
	if err != nil {
		select {
		case <-s.closed:
			return nil, net.ErrClosed
		default:
		}
		return nil, fmt.Errorf("utp: accept: %w", err)
	}
	return conn{c}, nil
}

// Addr is the socket's UDP address.
func (s *Socket) Addr() net.Addr { return s.s.Addr() }

// Close ends every connection on the socket and releases the port.
func (s *Socket) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return s.s.Close()
}

// Dial connects to a peer's uTP port, bounded by ctx and DefaultDialTimeout.
func (s *Socket) Dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	defer cancel()
	c, err := s.s.DialContext(ctx, "", addr)
	if err != nil {
		return nil, fmt.Errorf("utp: dial %s: %w", addr, libError(err))
	}
	return conn{c}, nil
}

// conn reports libutp's errors as the syscall errors a TCP connection
// gives (a reset is ECONNRESET, a deadline os.ErrDeadlineExceeded), so
// callers treat both transports alike.
type conn struct{ net.Conn }

func (c conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	return n, libError(err)
}

func (c conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	return n, libError(err)
}

func libError(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &timeout) && timeout.Timeout():
		return fmt.Errorf("utp: %w", os.ErrDeadlineExceeded)
	case strings.Contains(err.Error(), "UTP_ECONNRESET"):
		return fmt.Errorf("utp: %w", syscall.ECONNRESET)
	case strings.Contains(err.Error(), "UTP_ECONNREFUSED"):
		return fmt.Errorf("utp: %w", syscall.ECONNREFUSED)
	case strings.Contains(err.Error(), "UTP_ETIMEDOUT"):
		return fmt.Errorf("utp: %w", syscall.ETIMEDOUT)
	case errors.Is(err, libutp.ErrConnClosed), err.Error() == "destroyed":
		return fmt.Errorf("utp: %w", net.ErrClosed)
	}
	return err
}

// PacketConn is the socket's non-uTP traffic: what it reads are the
// datagrams libutp did not claim; what it writes goes out of the same port.
// Its Close does nothing (the Socket owns the port), and it has no
// deadlines: readers end when the Socket closes.
func (s *Socket) PacketConn() net.PacketConn { return packetConn{s} }

type packetConn struct{ s *Socket }

func (p packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := p.s.s.ReadFrom(b)
	if err != nil {
		return 0, nil, net.ErrClosed
	}
	return n, addr, nil
}

func (p packetConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-p.s.closed:
		return 0, net.ErrClosed
	default:
	}
	return p.s.s.WriteTo(b, addr)
}

func (p packetConn) Close() error                     { return nil }
func (p packetConn) LocalAddr() net.Addr              { return p.s.s.LocalAddr() }
func (p packetConn) SetDeadline(time.Time) error      { return errNoDeadlines }
func (p packetConn) SetReadDeadline(time.Time) error  { return errNoDeadlines }
func (p packetConn) SetWriteDeadline(time.Time) error { return errNoDeadlines }

var errNoDeadlines = errors.New("utp: a shared socket has no deadlines")

// libraryLogger hands libutp's messages (socket read errors) to logger at
// debug level: they are about packets from the network, not our state.
func libraryLogger(l *slog.Logger) alog.Logger {
	ll := alog.NewLogger("utp")
	ll.SetHandlers(slogHandler{l})
	return ll
}

type slogHandler struct{ l *slog.Logger }

func (h slogHandler) Handle(r alog.Record) { h.l.Debug("utp: " + r.Msg.String()) }
