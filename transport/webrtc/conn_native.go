//go:build !js

package webrtc

import "github.com/pion/webrtc/v4"

// recvQueueMax bounds received bytes waiting for Read. A full queue stalls
// pion's reader, which backs SCTP flow control up to the sender, so it can
// stay small: the SCTP receive window buffers the rest.
const recvQueueMax = 1 << 20

// attach feeds received messages into the queue. pion calls the handler
// from the channel's read loop, so blocking in push stalls that loop and
// SCTP flow control slows the sender: natural back-pressure.
func (c *conn) attach() {
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) { c.push(m.Data, true) })
}
