package braid

import (
	"github.com/braid-bt/braid/engine"
)

// signaller makes the WebSocket-tracker clients that find WebRTC peers.
func (platform) signaller(cfg Config) func(engine.SignalSpec) (engine.Signaller, error) {
	return nil // wired when transport/webrtc's announcer lands
}
