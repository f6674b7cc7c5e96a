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
	selfID  [20]byte // set before the library starts reading

	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed by Close
}

func newGuardedConn(pc net.PacketConn, logger *slog.Logger) *guardedConn {
	return &guardedConn{
		PacketConn: pc,
		limiter:    rate.NewLimiter(inboundPacketsPerSecond, inboundBurst),
		logger:     logger,
		done:       make(chan struct{}),
	}
}

func (c *guardedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			if c.closed.Load() {
				return n, addr, err
			}
			if errors.Is(err, net.ErrClosed) {
				// The socket's owner closed it (a port shared with uTP)
				// before the node: the library panics on a read error
				// before its own Close, so wait for that.
				<-c.done
				return n, addr, err
			}
			c.logger.Debug("dht: read", "err", err)
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin a core
			continue
		}
		if n >= len(b) || !c.limiter.Allow() {
			c.dropped.Add(1)
			continue
		}
		m, ok := vetPacket(b[:n])
		if !ok {
			c.dropped.Add(1)
			continue
		}
		if m.Y == krpc.YQuery && m.A.ID == c.selfID {
			// Other nodes list us among the nodes close to a target, so a
			// lookup may query itself (and announce to itself, then report
			// our own address as a peer). Refuse at once so it moves on.
			c.refuseSelf(m.T, addr)
			continue
		}
		return n, addr, nil
	}
}

// Close is idempotent: both Node.Close and the library close the socket.
func (c *guardedConn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		c.closeErr = c.PacketConn.Close()
	})
	return c.closeErr
}

// refuseSelf answers one of our own queries with a KRPC error.
func (c *guardedConn) refuseSelf(t string, addr net.Addr) {
	b, err := bencode.Marshal(krpc.Msg{T: t, Y: krpc.YError, E: &krpc.Error{Code: krpc.ErrorCodeGenericError, Msg: "query to self"}})
	if err == nil {
		_, _ = c.PacketConn.WriteTo(b, addr)
	}
}

// admitPacket reports whether the library can safely handle a datagram.
func admitPacket(b []byte) bool {
	_, ok := vetPacket(b)
	return ok
}

// vetPacket decodes a datagram the way the library will, accepting a KRPC
// dictionary that decodes without error or panic, of a known type, and, for
// queries, a BEP 5 method with an arguments dictionary.
func vetPacket(b []byte) (m krpc.Msg, ok bool) {
	if len(b) < 2 || b[0] != 'd' {
		return m, false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if err := bencode.Unmarshal(b, &m); err != nil {
		var trailing bencode.ErrUnusedTrailingBytes
		if !errors.As(err, &trailing) {
			return m, false
		}
	}
	switch m.Y {
	case krpc.YQuery:
		if m.A == nil {
			return m, false
		}
		// Only the BEP 5 methods: the library counts received queries in a
		// global expvar keyed by method name, which any other name would
		// grow forever. BEP 44 put/get are not served either.
		switch m.Q {
		case "ping", "find_node", "get_peers", "announce_peer":
		default:
			return m, false
		}
	case krpc.YResponse, krpc.YError:
	default:
		return m, false
	}
	return m, true
}
