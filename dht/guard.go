//go:build !js

package dht

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/bencode"
	"golang.org/x/time/rate"
)

// Inbound packets beyond this rate are dropped before any decoding.
const (
	inboundPacketsPerSecond = 2000
	inboundBurst            = 500
)

// guardedConn is the socket the library reads from. The library panics on
// some hostile datagrams (a short "values" or "ip" string, a query without
// arguments) and on unexpected read errors, so every packet is vetted here
// first and transient errors are retried instead of returned.
type guardedConn struct {
	net.PacketConn
	limiter *rate.Limiter
	logger  *slog.Logger
	closed  atomic.Bool
	dropped atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

func newGuardedConn(pc net.PacketConn, logger *slog.Logger) *guardedConn {
	return &guardedConn{
		PacketConn: pc,
		limiter:    rate.NewLimiter(inboundPacketsPerSecond, inboundBurst),
		logger:     logger,
	}
}

func (c *guardedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			if c.closed.Load() || errors.Is(err, net.ErrClosed) {
				return n, addr, err
			}
			c.logger.Debug("dht: read", "err", err)
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin a core
			continue
		}
		if n >= len(b) || !c.limiter.Allow() || !admitPacket(b[:n]) {
			c.dropped.Add(1)
			continue
		}
		return n, addr, nil
	}
}

// Close is idempotent: both Node.Close and the library close the socket.
func (c *guardedConn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.closeErr = c.PacketConn.Close()
	})
	return c.closeErr
}

// admitPacket reports whether the library can safely handle a datagram: a
// KRPC dictionary that decodes without error or panic, of a known type, and,
// for queries, with an arguments dictionary. BEP 44 put/get are not served.
func admitPacket(b []byte) (ok bool) {
	if len(b) < 2 || b[0] != 'd' {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var m krpc.Msg
	if err := bencode.Unmarshal(b, &m); err != nil {
		var trailing bencode.ErrUnusedTrailingBytes
		if !errors.As(err, &trailing) {
			return false
		}
	}
	switch m.Y {
	case krpc.YQuery:
		if m.A == nil {
			return false
		}
		switch m.Q {
		case "put", "get":
			return false
		}
	case krpc.YResponse, krpc.YError:
	default:
		return false
	}
	return true
}
