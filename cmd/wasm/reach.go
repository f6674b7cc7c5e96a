//go:build js

package main

import (
	"fmt"
	"strings"
	"syscall/js"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/node"
)

// defaults() returns the public servers the page uses unless its config
// says otherwise (braid.DefaultICEServers, braid.DefaultWebTrackers): the
// one list, shown by the page's settings.
func (a *api) defaults([]js.Value) (any, error) {
	return toJS(map[string]any{"iceServers": braid.DefaultICEServers, "publicTrackers": braid.DefaultWebTrackers})
}

// iceConfig reads start's iceServers (RTCIceServer objects or URL
// strings; absent: braid.DefaultICEServers; []: none) and
// iceTransportPolicy ("relay": relay candidates only).
func iceConfig(o js.Value) ([]braid.ICEServer, bool, error) {
	servers := braid.DefaultICEServers
	if v := o.Get("iceServers"); !v.IsUndefined() && !v.IsNull() {
		if !js.Global().Get("Array").Call("isArray", v).Bool() {
			return nil, false, fmt.Errorf("%w: iceServers: want an array", errBadArgument)
		}
		servers = nil
		for i := 0; i < v.Length(); i++ {
			s, err := iceServer(v.Index(i))
			if err != nil {
				return nil, false, fmt.Errorf("%w: iceServers[%d]: %w", errBadArgument, i, err)
			}
			servers = append(servers, s)
		}
	}
	relay := false
	switch p := o.Get("iceTransportPolicy"); {
	case p.IsUndefined() || p.IsNull():
	case p.Type() == js.TypeString && (p.String() == "all" || p.String() == "relay"):
		relay = p.String() == "relay"
	default:
		return nil, false, fmt.Errorf("%w: iceTransportPolicy: want \"all\" or \"relay\"", errBadArgument)
	}
	if err := node.CheckICEServers(servers); err != nil {
		return nil, false, err
	}
	return servers, relay, nil
}

// iceServer reads one RTCIceServer ({urls, username, credential}) or a URL.
func iceServer(v js.Value) (braid.ICEServer, error) {
	var s braid.ICEServer
	switch v.Type() {
	case js.TypeString:
		s.URLs = []string{v.String()}
	case js.TypeObject:
		switch u := v.Get("urls"); u.Type() {
		case js.TypeString:
			s.URLs = []string{u.String()}
		case js.TypeObject:
			s.URLs = stringList(u)
		}
		if u := v.Get("username"); u.Type() == js.TypeString {
			s.Username = u.String()
		}
		if c := v.Get("credential"); c.Type() == js.TypeString {
			s.Credential = c.String()
		}
	default:
		return s, fmt.Errorf("want {urls, username, credential} or a URL")
	}
	_, err := s.Hosts()
	return s, err
}

// publicTrackersArg reads start's publicTrackers (absent:
// braid.DefaultWebTrackers; []: none): ws:// or wss:// URLs.
func publicTrackersArg(o js.Value) ([]string, error) {
	v := o.Get("publicTrackers")
	if v.IsUndefined() || v.IsNull() {
		return braid.DefaultWebTrackers, nil
	}
	if !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, fmt.Errorf("%w: publicTrackers: want an array", errBadArgument)
	}
	out := stringList(v)
	for _, u := range out {
		if !isWS(u) {
			return nil, fmt.Errorf("%w: publicTrackers: %q is not a ws:// or wss:// URL", errBadArgument, u)
		}
	}
	if err := node.CheckLocalURLs("public tracker", out); err != nil {
		return nil, err
	}
	return out, nil
}

func isWS(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "ws://") || strings.HasPrefix(l, "wss://")
}

func anyWS(urls []string) bool {
	for _, u := range urls {
		if isWS(u) {
			return true
		}
	}
	return false
}

// needsPublicTrackers says whether a download names no WebSocket tracker
// (in its magnet or torrent, or in extra): a tab can reach peers only
// through one, so the public trackers are added. A private torrent keeps
// to its own trackers.
func needsPublicTrackers(magnet string, data []byte, extra []string) bool {
	if anyWS(extra) {
		return false
	}
	if magnet != "" {
		m, err := metainfo.ParseMagnet(magnet)
		return err == nil && !anyWS(m.Trackers)
	}
	mi, err := metainfo.Parse(data)
	if err != nil || mi.Info.Private {
		return false
	}
	for _, tier := range mi.Tiers() {
		if anyWS(tier) {
			return false
		}
	}
	return true
}
