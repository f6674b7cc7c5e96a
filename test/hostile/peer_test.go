package hostile

import (
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/require"
)

// hostileIP is the loopback address hostile peers use, so that banning it
// never covers the honest seeders on 127.0.0.1.
const hostileIP = "127.0.0.2"

// hostilePeer is one raw peer-wire connection the test scripts by hand:
// whatever it sends is what a scenario wants Braid to survive.
type hostilePeer struct {
	t      testing.TB
	conn   net.Conn
	theirs wire.Handshake

	readOnce sync.Once
	msgs     chan wire.Message // Braid's messages, once reading; extra ones are counted in dropped
	dropped  atomic.Int64
	received atomic.Int64 // messages read, keep-alives included
	byType   [256]atomic.Int64
	closed   chan struct{} // closed when Braid's side ends the stream
	closeErr error
}

// dialHostile opens a TCP connection to addr from hostileIP.
func dialHostile(t testing.TB, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(hostileIP)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err, "hostile dial %s", addr)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// listenHostile listens on hostileIP for Braid to dial.
func listenHostile(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", hostileIP+":0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// acceptHostile waits up to d for Braid to connect to l.
func acceptHostile(t testing.TB, l net.Listener, d time.Duration) *hostilePeer {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		t.Cleanup(func() { _ = r.c.Close() })
		return newHostile(t, r.c)
	case <-time.After(d):
		t.Fatalf("Braid did not dial %s within %v", l.Addr(), d)
		return nil
	}
}

func newHostile(t testing.TB, c net.Conn) *hostilePeer {
	return &hostilePeer{t: t, conn: c, msgs: make(chan wire.Message, 4096), closed: make(chan struct{})}
}

// connectHostile dials addr and completes a BitTorrent handshake for ih,
// advertising the fast (BEP 6) and extension (BEP 10) bits as asked.
func connectHostile(t testing.TB, addr string, ih [20]byte, fast, ext bool) *hostilePeer {
	t.Helper()
	h := newHostile(t, dialHostile(t, addr))
	require.NoError(t, h.sendHandshake(ih, fast, ext))
	require.NoError(t, h.readHandshake(5*time.Second), "Braid's handshake")
	return h
}

func hostilePeerID() [20]byte {
	var id [20]byte
	n := copy(id[:], "-HX0001-")
	_, _ = rand.Read(id[n:])
	return id
}

func (h *hostilePeer) sendHandshake(ih [20]byte, fast, ext bool) error {
	hs := wire.Handshake{InfoHash: ih, PeerID: hostilePeerID()}
	if fast {
		hs.SetFast()
	}
	if ext {
		hs.SetExtended()
	}
	return h.sendRaw(hs.Append(nil))
}

func (h *hostilePeer) readHandshake(d time.Duration) error {
	_ = h.conn.SetReadDeadline(time.Now().Add(d))
	defer h.conn.SetReadDeadline(time.Time{})
	hs, err := wire.ReadHandshake(h.conn)
	if err != nil {
		return err
	}
	h.theirs = hs
	return nil
}

// sendRaw writes b; a write Braid does not take within 10 s is an error.
func (h *hostilePeer) sendRaw(b []byte) error {
	_ = h.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := h.conn.Write(b)
	return err
}

// send encodes and writes messages in one write.
func (h *hostilePeer) send(ms ...*wire.Message) error {
	var b []byte
	for _, m := range ms {
		b = wire.AppendMessage(b, m)
	}
	return h.sendRaw(b)
}

// startReader reads Braid's messages in the background so Braid's writes
// never block on us; the stream's end closes h.closed.
func (h *hostilePeer) startReader() {
	h.readOnce.Do(func() {
		go func() {
			defer close(h.closed)
			var buf []byte
			for {
				var m wire.Message
				var err error
				m, buf, err = wire.ReadMessage(h.conn, buf, wire.Limits{MaxMessage: 8 << 20})
				if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
					h.closeErr = err
					return
				}
				h.received.Add(1)
				if !m.KeepAlive {
					h.byType[m.Type].Add(1)
				}
				m.Block = append([]byte(nil), m.Block...)
				m.Bitfield = append([]byte(nil), m.Bitfield...)
				m.Payload = append([]byte(nil), m.Payload...)
				select {
				case h.msgs <- m:
				default:
					h.dropped.Add(1)
				}
			}
		}()
	})
}

// closedWithin reports whether Braid ended the connection within d; it
// reads (and discards into msgs) whatever Braid sends meanwhile.
func (h *hostilePeer) closedWithin(d time.Duration) bool {
	h.startReader()
	select {
	case <-h.closed:
		return true
	case <-time.After(d):
		return false
	}
}

// requireClosed fails unless Braid drops the connection within d.
func (h *hostilePeer) requireClosed(d time.Duration, why string) time.Duration {
	h.t.Helper()
	start := time.Now()
	if !h.closedWithin(d) {
		h.t.Fatalf("%s: Braid kept the connection open for %v", why, d)
	}
	return time.Since(start)
}

// requireOpen fails if Braid drops the connection within d.
func (h *hostilePeer) requireOpen(d time.Duration, why string) {
	h.t.Helper()
	if h.closedWithin(d) {
		h.t.Fatalf("%s: Braid closed the connection (%v), want it kept", why, h.closeErr)
	}
}

// next waits up to d for a message from Braid that matches.
func (h *hostilePeer) next(d time.Duration, match func(wire.Message) bool) (wire.Message, bool) {
	h.startReader()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m := <-h.msgs:
			if match(m) {
				return m, true
			}
		case <-h.closed:
			// Drain what arrived before the end.
			for {
				select {
				case m := <-h.msgs:
					if match(m) {
						return m, true
					}
				default:
					return wire.Message{}, false
				}
			}
		case <-timer.C:
			return wire.Message{}, false
		}
	}
}

func isType(ty wire.MsgType) func(wire.Message) bool {
	return func(m wire.Message) bool { return !m.KeepAlive && m.Type == ty }
}

// garbage returns n random bytes.
func garbage(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// rawLength is a bare 4-byte length prefix.
func rawLength(n uint32) []byte {
	return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}
