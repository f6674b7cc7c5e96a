package webrtc

import "github.com/braid-bt/braid/transport"

// Transport meets WebRTC peers through WebTorrent WebSocket trackers: a
// transport.Signalled, whose Signal makes one Announcer per torrent and
// tracker. Every Announcer shares its Config, so a Limit there bounds
// negotiations across all of them.
type Transport struct{ cfg Config }

var _ transport.Signalled = (*Transport)(nil)

// NewTransport makes WebRTC peer connections as cfg says.
func NewTransport(cfg Config) *Transport { return &Transport{cfg: cfg} }

// Name is "webrtc".
func (*Transport) Name() string { return Name }

// Traits: none (DTLS encrypts the data channel; no MSE inside it).
func (*Transport) Traits() transport.Traits { return transport.Traits{} }

// Signal makes the Announcer of one torrent on one tracker.
func (t *Transport) Signal(s transport.SignalSpec) (transport.Signaller, error) {
	return NewAnnouncer(AnnouncerConfig{
		URL: s.URL, InfoHash: s.InfoHash, PeerID: s.PeerID, RTC: t.cfg,
		Stats: s.Stats, Want: s.Want, OnConn: s.OnConn, Connected: s.Connected, Logger: t.cfg.Logger,
	}), nil
}
