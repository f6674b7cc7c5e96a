// Package websocket carries the BitTorrent peer wire inside binary WebSocket
// messages, so a browser Braid (which cannot open TCP) can reach a native
// node directly, without ICE. Each binary message holds the next bytes of the
// peer-wire stream; message boundaries mean nothing and receivers reassemble.
//
// Dial works natively and under js/wasm; Listener is native only.
package websocket

import (
	"errors"
	"strings"
	"time"
)

// Name identifies this transport in stats.
const Name = "websocket"

// MaxMessageSize bounds one received message: a 1 MiB bitfield or block
// batch plus headers. Larger messages close the connection.
const MaxMessageSize = 1<<20 + 64

// maxWriteMessage cuts long writes into messages every receiver accepts and
// that a browser can hand over without large copies.
const maxWriteMessage = 64 << 10

// DefaultDialTimeout bounds connecting plus the HTTP upgrade.
const DefaultDialTimeout = 10 * time.Second

var (
	// ErrNotURL reports a dial target that is not a ws:// or wss:// URL.
	ErrNotURL = errors.New("websocket: not a ws:// or wss:// URL")
	// ErrTextMessage reports a peer that sent a text message; the peer wire
	// is binary only, so the connection is closed.
	ErrTextMessage = errors.New("websocket: text message on a peer connection")
	// ErrMessageTooBig reports a message longer than MaxMessageSize.
	ErrMessageTooBig = errors.New("websocket: message too big")
)

// IsURL reports whether s names a WebSocket peer ("ws://" or "wss://",
// case-insensitive), as opposed to a TCP "host:port".
func IsURL(s string) bool {
	return hasPrefixFold(s, "ws://") || hasPrefixFold(s, "wss://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
