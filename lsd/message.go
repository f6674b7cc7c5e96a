// Package lsd is Local Service Discovery (BEP 14): peers on the same LAN
// find each other by announcing the torrents they run to a multicast group
// (239.192.152.143:6771 over IPv4, [ff15::efc0:988f]:6771 over IPv6) in
// an HTTP-like BT-SEARCH message. Natively only.
package lsd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits of a message, received or sent.
const (
	// MaxMessageSize bounds a datagram: one that fits an Ethernet frame.
	MaxMessageSize = 1400
	// MaxInfoHashes bounds the Infohash lines of one message (and the
	// hashes an announce batches).
	MaxInfoHashes = 16
	// maxLines bounds the header lines of a message.
	maxLines = 32
	// maxCookie bounds the cookie's length.
	maxCookie = 64
)

// The multicast groups, with the port of BEP 14.
const (
	HostV4 = "239.192.152.143:6771"
	HostV6 = "[ff15::efc0:988f]:6771"
)

// ErrMalformed wraps every reason a datagram is not a BT-SEARCH message.
var ErrMalformed = errors.New("lsd: malformed message")

// Message is one BT-SEARCH announce: the sender runs these torrents and
// accepts peers on Port (at the address the datagram came from).
type Message struct {
	Host       string     // the group it was sent to, as the sender wrote it
	Port       uint16     // the sender's peer port, 1-65535
	InfoHashes [][20]byte // at least one, at most MaxInfoHashes
	Cookie     string     // the sender's own mark ("" if none)
}

const requestLine = "BT-SEARCH * HTTP/1.1"

// Marshal writes m as a BT-SEARCH message. It fails when m would not parse
// back: no or too many hashes, port 0, a cookie too long or not printable.
func (m Message) Marshal() ([]byte, error) {
	if len(m.InfoHashes) == 0 || len(m.InfoHashes) > MaxInfoHashes || m.Port == 0 ||
		!token(m.Cookie) || !token(m.Host) || len(m.Cookie) > maxCookie {
		return nil, fmt.Errorf("%w: cannot send %d hashes, port %d, cookie %q", ErrMalformed, len(m.InfoHashes), m.Port, m.Cookie)
	}
	var b bytes.Buffer
	b.WriteString(requestLine + "\r\n")
	if m.Host != "" {
		b.WriteString("Host: " + m.Host + "\r\n")
	}
	b.WriteString("Port: " + strconv.Itoa(int(m.Port)) + "\r\n")
	for _, ih := range m.InfoHashes {
		b.WriteString("Infohash: " + hex.EncodeToString(ih[:]) + "\r\n")
	}
	if m.Cookie != "" {
		b.WriteString("cookie: " + m.Cookie + "\r\n")
	}
	b.WriteString("\r\n\r\n")
	if b.Len() > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, b.Len())
	}
	return b.Bytes(), nil
}

// token reports whether s is printable ASCII without spaces (or empty).
func token(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Parse reads a BT-SEARCH message strictly: at most MaxMessageSize bytes,
// the request line first, header names case-insensitive, one Port
// (1-65535, decimal), 1 to MaxInfoHashes Infohash lines of 40 hex digits,
// at most one cookie; lines end in CRLF or LF; unknown headers are skipped
// and the message ends at the first blank line. Every failure wraps
// ErrMalformed.
func Parse(data []byte) (Message, error) {
	var m Message
	if len(data) > MaxMessageSize {
		return m, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(data), MaxMessageSize)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > maxLines+4 {
		return m, fmt.Errorf("%w: %d lines", ErrMalformed, len(lines))
	}
	if strings.TrimSuffix(lines[0], "\r") != requestLine {
		return m, fmt.Errorf("%w: not a BT-SEARCH request", ErrMalformed)
	}
	var sawPort, sawHost, sawCookie, ended bool
	for i, line := range lines[1:] {
		line = strings.TrimSuffix(line, "\r")
		if line == "" && i+2 < len(lines) { // a blank line, ended by its newline
			ended = true
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return m, fmt.Errorf("%w: header line without a colon", ErrMalformed)
		}
		value = strings.Trim(value, " \t")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "host":
			if sawHost || !token(value) || len(value) > 64 {
				return m, fmt.Errorf("%w: bad Host", ErrMalformed)
			}
			sawHost, m.Host = true, value
		case "port":
			if sawPort {
				return m, fmt.Errorf("%w: two Port lines", ErrMalformed)
			}
			p, err := parsePort(value)
			if err != nil {
				return m, err
			}
			sawPort, m.Port = true, p
		case "infohash":
			if len(m.InfoHashes) == MaxInfoHashes {
				return m, fmt.Errorf("%w: more than %d infohashes", ErrMalformed, MaxInfoHashes)
			}
			var ih [20]byte
			if len(value) != 40 {
				return m, fmt.Errorf("%w: infohash of %d characters", ErrMalformed, len(value))
			}
			if _, err := hex.Decode(ih[:], []byte(value)); err != nil {
				return m, fmt.Errorf("%w: infohash not hex", ErrMalformed)
			}
			m.InfoHashes = append(m.InfoHashes, ih)
		case "cookie":
			if sawCookie || !token(value) || len(value) > maxCookie {
				return m, fmt.Errorf("%w: bad cookie", ErrMalformed)
			}
			sawCookie, m.Cookie = true, value
		}
	}
	switch {
	case !ended:
		return Message{}, fmt.Errorf("%w: no blank line ends it", ErrMalformed)
	case !sawPort:
		return Message{}, fmt.Errorf("%w: no Port", ErrMalformed)
	case len(m.InfoHashes) == 0:
		return Message{}, fmt.Errorf("%w: no Infohash", ErrMalformed)
	}
	return m, nil
}

func parsePort(s string) (uint16, error) {
	if len(s) == 0 || len(s) > 5 {
		return 0, fmt.Errorf("%w: port %q", ErrMalformed, s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: port %q", ErrMalformed, s)
		}
		n = n*10 + int(s[i]-'0')
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%w: port %d", ErrMalformed, n)
	}
	return uint16(n), nil
}
