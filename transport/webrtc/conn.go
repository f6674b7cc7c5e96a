package webrtc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// MaxMessageSize is the largest data-channel message Braid sends. 16 KiB is
// what every browser and simple-peer (WebTorrent) accepts.
const MaxMessageSize = 16 << 10

const (
	// sendHighWater: Write waits while the channel has this much queued...
	sendHighWater = 1 << 20
	// sendLowWater: ...until it drains to this (bufferedamountlow).
	sendLowWater = 256 << 10
	// sendPoll re-checks the buffered amount while waiting for room.
	sendPoll = 50 * time.Millisecond
)

// ErrRecvOverflow reports a peer that sent more than the receive queue holds
// while Braid was not reading (browser builds only; natively it just waits).
var ErrRecvOverflow = errors.New("webrtc: receive queue overflow")

// errTimeout is what Read and Write return after a deadline: it is
// os.ErrDeadlineExceeded, a net.Error whose Timeout() is true.
var errTimeout error = os.ErrDeadlineExceeded

// conn is a data channel as a net.Conn. Received messages queue up (bounded
// by recvQueueMax, per platform); writes are cut into MaxMessageSize messages and wait
// while the channel's buffered amount is above sendHighWater.
type conn struct {
	dc  *webrtc.DataChannel
	pc  *webrtc.PeerConnection
	log *slog.Logger

	local, remote Addr

	mu       sync.Mutex
	queue    [][]byte // received messages; queue[0] may be partly read
	queued   int      // bytes in queue
	rerr     error    // set once no more data will arrive (io.EOF or a failure)
	readable chan struct{}
	drained  chan struct{}
	failed   chan struct{} // closed with rerr set

	opened  chan struct{} // closed when the data channel opens
	sendLow chan struct{} // bufferedamountlow signal
	wmu     sync.Mutex    // one Write at a time keeps messages in order

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	endOnce   sync.Once
	onEnd     func() // the owner's bookkeeping, run once when the conn ends
	ended     bool   // end has run (under mu)
	rd, wd    *deadline

	release func() // frees platform hooks (js callbacks)
	drain   func() // hands what the platform still holds to push (js), before an end is recorded
	offerer bool   // we made the offer: our side initiated the connection
	// messages counts data channel messages received (tests check how
	// senders split writes; in the browser the count is kept in JavaScript,
	// as messages reach Go in batches).
	messages func() int
}

// Initiator reports whether this side made the offer. When two peers
// connect to each other at once, both keep the connection the lower peer
// id initiated.
func (c *conn) Initiator() bool { return c.offerer }

// newConn wraps dc (of pc) before it opens, so no message is missed.
func newConn(pc *webrtc.PeerConnection, dc *webrtc.DataChannel, local, remote [20]byte, log *slog.Logger) *conn {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &conn{
		dc: dc, pc: pc,
		local: Addr{local}, remote: Addr{remote},
		log:      log,
		readable: make(chan struct{}, 1),
		drained:  make(chan struct{}, 1),
		failed:   make(chan struct{}),
		opened:   make(chan struct{}),
		sendLow:  make(chan struct{}, 1),
		done:     make(chan struct{}),
		rd:       newDeadline(),
		wd:       newDeadline(),
	}
	var openOnce sync.Once
	dc.OnOpen(func() { openOnce.Do(func() { close(c.opened) }) })
	dc.OnClose(func() {
		// Messages (or an overflow) the platform still holds come first:
		// in the browser the close event can run before the wake-up that
		// hands the last messages to Go.
		if c.drain != nil {
			c.drain()
		}
		c.fail(io.EOF)
	})
	dc.OnError(func(err error) { c.fail(fmt.Errorf("webrtc: data channel: %w", err)) })
	dc.SetBufferedAmountLowThreshold(sendLowWater)
	dc.OnBufferedAmountLow(func() { signal(c.sendLow) })
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.fail(fmt.Errorf("webrtc: peer connection %s: %w", s, io.ErrUnexpectedEOF))
		}
	})
	c.attach()
	return c
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push queues one received message. block says the caller may wait for
// room (native); otherwise a full queue ends the connection (browser).
func (c *conn) push(b []byte, block bool) {
	if len(b) == 0 {
		return
	}
	for {
		c.mu.Lock()
		if c.rerr != nil || isClosed(c.done) {
			c.mu.Unlock()
			return
		}
		if c.queued+len(b) <= recvQueueMax || c.queued == 0 {
			c.queue = append(c.queue, b)
			c.queued += len(b)
			c.mu.Unlock()
			signal(c.readable)
			return
		}
		unread := c.queued
		c.mu.Unlock()
		if !block {
			c.overflow(unread)
			return
		}
		select {
		case <-c.drained:
		case <-c.done:
			return
		}
	}
}

// overflow ends a connection whose peer sent more than the receive queue
// holds (browser builds): closing the channel stops the sender, and what is
// queued stays readable before Read reports ErrRecvOverflow.
func (c *conn) overflow(unread int) {
	c.fail(fmt.Errorf("%w: %d bytes unread", ErrRecvOverflow, unread))
	_ = c.dc.Close()
}

// fail records that no more data will arrive; queued data stays readable.
// The owner's onEnd runs now, as the peer is gone.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.rerr == nil {
		c.rerr = err
		close(c.failed)
	}
	c.mu.Unlock()
	signal(c.readable)
	c.end()
}

func (c *conn) end() {
	c.endOnce.Do(func() {
		c.mu.Lock()
		f := c.onEnd
		c.ended = true
		c.mu.Unlock()
		if f != nil {
			f()
		}
	})
}

// setOnEnd installs the owner's end hook after construction; it runs at
// once if the connection has already ended.
func (c *conn) setOnEnd(f func()) {
	c.mu.Lock()
	if !c.ended {
		c.onEnd = f
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	f()
}

// Read returns queued bytes, waiting for a message, the deadline or Close.
func (c *conn) Read(p []byte) (int, error) {
	for {
		select {
		case <-c.done:
			return 0, net.ErrClosed
		default:
		}
		if c.rd.expired() {
			return 0, errTimeout
		}
		c.mu.Lock()
		if c.queued > 0 {
			n := 0
			for n < len(p) && len(c.queue) > 0 {
				k := copy(p[n:], c.queue[0])
				n += k
				if k == len(c.queue[0]) {
					c.queue[0] = nil
					c.queue = c.queue[1:]
				} else {
					c.queue[0] = c.queue[0][k:]
				}
			}
			c.queued -= n
			if len(c.queue) == 0 {
				c.queue = nil // let the backing array go
			}
			c.mu.Unlock()
			signal(c.drained)
			return n, nil
		}
		if err := c.rerr; err != nil {
			c.mu.Unlock()
			return 0, err
		}
		c.mu.Unlock()
		if len(p) == 0 {
			return 0, nil
		}
		select {
		case <-c.readable:
		case <-c.done:
		case <-c.rd.wait():
		}
	}
}

// Write sends p as messages of at most MaxMessageSize, waiting while the
// channel's send buffer is above sendHighWater (checked every sendChunk
// bytes).
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := 0
	for len(p) > 0 {
		if err := c.waitSendRoom(); err != nil {
			return n, err
		}
		k := min(len(p), sendChunk)
		if err := c.send(p[:k]); err != nil {
			return n, fmt.Errorf("webrtc: send to %s: %w", c.remote, err)
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

func (c *conn) waitSendRoom() error {
	for {
		select {
		case <-c.done:
			return net.ErrClosed
		default:
		}
		if c.wd.expired() {
			return errTimeout
		}
		c.mu.Lock()
		err := c.rerr
		c.mu.Unlock()
		if err != nil {
			return fmt.Errorf("webrtc: write to %s: %w", c.remote, io.ErrClosedPipe)
		}
		if c.dc.BufferedAmount() <= sendHighWater {
			return nil
		}
		// bufferedamountlow is the signal; the poll covers implementations
		// that never fire it (some Node WebRTC builds).
		poll := time.NewTimer(sendPoll)
		select {
		case <-c.sendLow:
		case <-c.done:
		case <-c.wd.wait():
		case <-c.failed:
		case <-poll.C:
		}
		poll.Stop()
	}
}

// Close closes the data channel and its peer connection. Blocked Reads and
// Writes return net.ErrClosed.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		if c.release != nil {
			defer c.release()
		}
		_ = c.dc.Close()
		_ = c.pc.Close()
	})
	c.end()
	return nil
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *conn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }
