//go:build !js

package webrtc

import (
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// recvQueueMax bounds received bytes waiting for Read. A full queue stalls
// pion's reader, which backs SCTP flow control up to the sender, so it can
// stay small: the SCTP receive window buffers the rest.
const recvQueueMax = 1 << 20

// sendChunk is what Write hands send at a time: one message.
const sendChunk = MaxMessageSize

// send sends one message of at most MaxMessageSize bytes.
func (c *conn) send(p []byte) error { return c.dc.Send(p) }

// attach feeds received messages into the queue. pion calls the handler
// from the channel's read loop, so blocking in push stalls that loop and
// SCTP flow control slows the sender: natural back-pressure.
func (c *conn) attach() {
	var n atomic.Int64
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		n.Add(1)
		c.push(m.Data, true)
	})
	c.messages = func() int { return int(n.Load()) }
}
