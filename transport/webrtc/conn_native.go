//go:build !js

package webrtc

import "github.com/pion/webrtc/v4"

// attach feeds received messages into the queue. pion calls the handler
// from the channel's read loop, so blocking in push stalls that loop and
// SCTP flow control slows the sender: natural back-pressure.
func (c *conn) attach() {
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) { c.push(m.Data, true) })
}
