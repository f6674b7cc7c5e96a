package node

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/braid-bt/braid/transport/webrtc"
)

// ICEServer is a STUN or TURN server for WebRTC.
type ICEServer = webrtc.ICEServer

// ErrNotOffline is returned in test mode (see TestOffline) when the
// configuration names a host outside loopback and private networks: a
// public default leaked into a test.
var ErrNotOffline = errors.New("test mode: refusing a public host")

// CheckICEServers checks the ICE servers' URLs (a TURN server needs a
// username and credential) and, in test mode, that every host is local.
func CheckICEServers(servers []ICEServer) error {
	for _, s := range servers {
		hosts, err := s.Hosts()
		if err != nil {
			return err
		}
		for k, h := range hosts {
			if err := checkLocal("ICE server "+s.URLs[k], h); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckLocalURLs, in test mode, refuses URLs (trackers) whose host is not
// local; outside test mode it accepts anything.
func CheckLocalURLs(what string, urls []string) error {
	if !TestOffline() {
		return nil
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%w: %s %q: %w", ErrNotOffline, what, raw, err)
		}
		if err := checkLocal(what+" "+raw, u.Hostname()); err != nil {
			return err
		}
	}
	return nil
}

// checkLocal refuses host in test mode unless it is localhost or an IP
// address on loopback, a private or link-local network.
func checkLocal(what, host string) error {
	if !TestOffline() || isLocalHost(host) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotOffline, what)
}

func isLocalHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified()
}

// checkOffline checks what a node would contact on its own: ICE servers,
// WebSocket trackers and DHT bootstrap nodes.
func (c Config) checkOffline() error {
	if !c.NoWebRTC {
		if err := CheckICEServers(c.ICEServers); err != nil {
			return err
		}
		if err := CheckLocalURLs("WebSocket tracker", c.WSTrackers); err != nil {
			return err
		}
	}
	if !c.NoDHT && TestOffline() {
		for _, b := range c.DHTBootstrap {
			host, _, err := net.SplitHostPort(b)
			if err != nil {
				host = b
			}
			if err := checkLocal("DHT bootstrap node "+b, host); err != nil {
				return err
			}
		}
	}
	return nil
}
