package braid

import (
	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/transport/webrtc"
)

// maxNegotiations bounds WebRTC offers and answers in flight per client:
// each holds a PeerConnection (sockets, DTLS state) until it opens or times out.
const maxNegotiations = 64

// signaller makes the WebSocket-tracker clients that find WebRTC peers
// (WebTorrent's signalling; the same code natively and in the browser).
func (platform) signaller(cfg Config) func(engine.SignalSpec) (engine.Signaller, error) {
	// One cap on WebRTC negotiations for the whole client, not per torrent.
	rtc := webrtc.Config{ICEServers: cfg.ICEServers, LoopbackOnly: cfg.RTCLoopback, Logger: cfg.Logger,
		Limit: webrtc.NewPendingLimit(maxNegotiations)}
	return func(s engine.SignalSpec) (engine.Signaller, error) {
		return webrtc.NewAnnouncer(webrtc.AnnouncerConfig{
			URL: s.URL, InfoHash: s.InfoHash, PeerID: s.PeerID, RTC: rtc,
			Stats: s.Stats, Want: s.Want, OnConn: s.OnConn, Connected: s.Connected, Logger: cfg.Logger,
		}), nil
	}
}
