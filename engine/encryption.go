package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport/tcp/mse"
)

// errMSEFailed marks an outgoing MSE key exchange that failed.
var errMSEFailed = errors.New("encrypted")

// Encryption is the policy for BitTorrent's Message Stream Encryption on
// TCP peer connections (WebRTC and WebSocket peers are encrypted by their
// transport or not at all).
type Encryption int

const (
	// EncryptionEnabled (the default) accepts plain and encrypted incoming
	// connections and dials plain first: a peer that closes a plain
	// handshake unanswered is dialled again at once with MSE, offering
	// RC4 and plaintext. Incoming MSE selects plaintext when offered
	// (the handshake is hidden; the payload is not), as libtorrent does.
	EncryptionEnabled Encryption = iota
	// EncryptionRequired talks MSE with RC4 only, both ways, as clients
	// set to "require encryption" do.
	EncryptionRequired
	// EncryptionDisabled talks plain handshakes only.
	EncryptionDisabled
)

// ParseEncryption reads a policy name: enabled, required or disabled.
func ParseEncryption(s string) (Encryption, error) {
	switch strings.ToLower(s) {
	case "", "enabled":
		return EncryptionEnabled, nil
	case "required":
		return EncryptionRequired, nil
	case "disabled":
		return EncryptionDisabled, nil
	}
	return 0, fmt.Errorf("encryption %q: want enabled, required or disabled", s)
}

func (p Encryption) String() string {
	switch p {
	case EncryptionRequired:
		return "required"
	case EncryptionDisabled:
		return "disabled"
	}
	return "enabled"
}

// allowed is the set of stream methods the policy accepts.
func (p Encryption) allowed() mse.Method {
	if p == EncryptionRequired {
		return mse.RC4
	}
	return mse.RC4 | mse.Plaintext
}

// protocolHeader starts every plain BitTorrent handshake: the length of
// wire.Protocol, then the string.
const protocolHeader = string(rune(len(wire.Protocol))) + wire.Protocol

var errPlainRefused = errors.New("plain handshake refused: encryption required")

// torrentByReq2 finds the torrent an MSE initiator asked for.
func (e *Engine) torrentByReq2(req2 [20]byte) ([20]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.torrents {
		switch {
		case t.req2 == req2:
			return t.ih, true
		case t.hasAlias.Load() && t.req2Alias == req2:
			return t.alias, true
		}
	}
	return [20]byte{}, false
}
