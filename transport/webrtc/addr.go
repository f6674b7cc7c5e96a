package webrtc

import "encoding/hex"

// Name identifies this transport in stats.
const Name = "webrtc"

// Network is what Addr.Network reports, so logs and stats can tell WebRTC
// peers from TCP ones.
const Network = Name

// Addr names a WebRTC peer by its BitTorrent peer id: a data channel has no
// useful IP address of its own (ICE may pick any candidate pair).
type Addr struct {
	PeerID [20]byte
}

// Network returns "webrtc".
func (Addr) Network() string { return Network }

// String is "webrtc:" and the first 12 hex digits of the peer id.
func (a Addr) String() string { return Network + ":" + hex.EncodeToString(a.PeerID[:])[:12] }
