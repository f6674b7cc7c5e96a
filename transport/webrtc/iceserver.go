package webrtc

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ICEServer is one STUN or TURN server, as RTCIceServer names it: its URLs
// ("stun:host:port", "turn:host:port?transport=udp", "turns:..."), and for
// TURN the username and password (a long-term credential).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ErrBadICEServer reports an ICE server URL that is not stun:, stun:s,
// turn: or turns: with a host.
var ErrBadICEServer = errors.New("bad ICE server")

// Hosts returns the host of every URL of s (without port), or an error
// wrapping ErrBadICEServer for a URL that is not a STUN or TURN URL or a
// TURN server without a username and credential.
func (s ICEServer) Hosts() ([]string, error) {
	if len(s.URLs) == 0 {
		return nil, fmt.Errorf("%w: no URL", ErrBadICEServer)
	}
	var hosts []string
	for _, raw := range s.URLs {
		scheme, rest, ok := strings.Cut(raw, ":")
		scheme = strings.ToLower(scheme)
		if !ok || (scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns") {
			return nil, fmt.Errorf("%w: %q: want a stun, stuns, turn or turns URL", ErrBadICEServer, raw)
		}
		if strings.HasPrefix(scheme, "turn") && (s.Username == "" || s.Credential == "") {
			return nil, fmt.Errorf("%w: %q: a TURN server needs a username and a credential", ErrBadICEServer, raw)
		}
		rest, _, _ = strings.Cut(rest, "?")
		u, err := url.Parse("x://" + rest)
		if err != nil || u.Hostname() == "" || u.Path != "" {
			return nil, fmt.Errorf("%w: %q: want %s:HOST[:PORT]", ErrBadICEServer, raw, scheme)
		}
		hosts = append(hosts, u.Hostname())
	}
	return hosts, nil
}
