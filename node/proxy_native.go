//go:build !js

package node

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/braid-bt/braid/internal/socks5"
	"github.com/braid-bt/braid/tracker"
	"github.com/braid-bt/braid/webseed"
)

// defaultAnnouncePort is the port announced in strict proxy mode when
// the listen address names none: nothing listens, but trackers refuse
// port 0.
const defaultAnnouncePort = 6881

// openProxy parses Config.Proxy (nil, nil without one) and, in strict
// mode (no ProxyAllowDirect), turns off everything the proxy cannot
// carry: the listener (and with it uTP), the DHT, LSD, port mapping and
// WebRTC. An explicit WebSocket listener is refused rather than dropped.
func openProxy(cfg *Config) (*socks5.Proxy, error) {
	if cfg.Proxy == "" {
		return nil, nil
	}
	px, err := socks5.ParseURL(cfg.Proxy)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProxy, err)
	}
	if cfg.ProxyAllowDirect {
		cfg.Logger.Info("proxy", "url", px.String(), "mode", "allow direct")
		return px, nil
	}
	if cfg.WSListenAddr != "" {
		return nil, fmt.Errorf("%w: a WebSocket listener would take peers around the proxy %s (allow direct connections to use both)", ErrProxy, px)
	}
	cfg.NoListen, cfg.NoUTP, cfg.NoDHT, cfg.NoLSD, cfg.NoPortMapping, cfg.NoWebRTC = true, true, true, true, true, true
	cfg.Logger.Info("proxy", "url", px.String(), "mode", "strict",
		"off", "listener, uTP, DHT, LSD, port mapping, WebRTC")
	return px, nil
}

// strictPort is the port announced to trackers in strict mode: the
// listen address's, or defaultAnnouncePort.
func strictPort(listenAddr string) uint16 {
	if _, p, err := net.SplitHostPort(listenAddr); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil && n > 0 {
			return uint16(n)
		}
	}
	return defaultAnnouncePort
}

// httpVia is an HTTP client whose every connection goes through px
// (names resolved by the proxy); it never reads proxy settings from the
// environment.
func httpVia(px *socks5.Proxy) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           px.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// proxyOptions are the tracker and web seed options that carry their
// traffic through px.
func proxyOptions(px *socks5.Proxy, hc *http.Client) (tracker.ClientOptions, webseed.Options) {
	return tracker.ClientOptions{HTTPClient: hc, DialUDP: px.DialUDP}, webseed.Options{HTTPClient: hc}
}
