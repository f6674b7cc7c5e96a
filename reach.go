package braid

import "github.com/braid-bt/braid/node"

// ICEServer is a STUN or TURN server for WebRTC: its URLs
// ("stun:host:port", "turn:host:port?transport=udp") and, for TURN, a
// username and credential. Its JSON form is the browser's RTCIceServer.
type ICEServer = node.ICEServer

// The public servers Braid reaches out to unless told otherwise: the one
// list of them, which the CLI (--stun, --public-trackers) and the browser
// page (through cmd/wasm's defaults()) both read. The library itself
// uses none: a Config names what it wants. BRAID_TEST_OFFLINE=1 makes a
// client refuse them (node.TestOffline), so no test reaches the internet.
var (
	// DefaultICEServers are public STUN servers, so WebRTC peers behind
	// NATs learn their outside addresses.
	DefaultICEServers = []ICEServer{
		{URLs: []string{"stun:stun.l.google.com:19302"}},
		{URLs: []string{"stun:global.stun.twilio.com:3478"}},
	}
	// DefaultWebTrackers are public WebTorrent (WebSocket) trackers: the
	// browser page announces torrents it creates there, and magnets or
	// torrents that name no WebSocket tracker.
	DefaultWebTrackers = []string{
		"wss://tracker.openwebtorrent.com",
		"wss://tracker.webtorrent.dev",
		"wss://tracker.btorrent.xyz",
	}
)
