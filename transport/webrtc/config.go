package webrtc

import (
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"
)

// Defaults for Config and AnnouncerConfig.
const (
	DefaultMaxPending     = 10
	DefaultOfferTimeout   = 50 * time.Second
	DefaultConnectTimeout = 30 * time.Second
)

// Config says how Braid makes WebRTC peer connections.
type Config struct {
	// ICEServers are the STUN and TURN servers ICE gathers candidates
	// from. None: host candidates only, enough on a LAN or loopback.
	ICEServers []ICEServer
	// RelayOnly makes ICE use TURN relay candidates only (the
	// RTCPeerConnection's iceTransportPolicy "relay").
	RelayOnly bool
	// LoopbackOnly keeps ICE on 127.0.0.1 (tests): loopback candidates, no
	// mDNS, UDP4 only. Native builds only; a browser decides for itself.
	LoopbackOnly bool
	// MaxPending bounds unanswered offers and, separately, answers being
	// negotiated: each holds a PeerConnection (default 10).
	MaxPending int
	// Limit, if set, also bounds negotiations across every Announcer that
	// shares it (one per client).
	Limit *PendingLimit
	// OfferTimeout drops an offer nobody answered (default 50 s).
	OfferTimeout time.Duration
	// ConnectTimeout bounds ICE + DTLS + channel open after the SDP
	// exchange (default 30 s).
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.OfferTimeout <= 0 {
		c.OfferTimeout = DefaultOfferTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) configuration() webrtc.Configuration {
	var conf webrtc.Configuration
	for _, s := range c.ICEServers {
		is := webrtc.ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username}
		if s.Credential != "" {
			is.Credential = s.Credential
		}
		conf.ICEServers = append(conf.ICEServers, is)
	}
	if c.RelayOnly {
		conf.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return conf
}

// newPeerConnection makes a PeerConnection with c's settings.
func (c Config) newPeerConnection() (*webrtc.PeerConnection, error) {
	return c.api().NewPeerConnection(c.configuration())
}
