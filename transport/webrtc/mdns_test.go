//go:build linux

package webrtc

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// browserLikeOffer makes an offer the way Chromium does by default on a
// LAN: its host candidates are mDNS names (<uuid>.local), never
// addresses. It returns the PeerConnection, its channel and the SDP.
func browserLikeOffer(t *testing.T, ctx context.Context) (*webrtc.PeerConnection, *webrtc.DataChannel, string) {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryAndGather)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	dc, err := pc.CreateDataChannel("browser", nil)
	require.NoError(t, err)
	o, err := pc.CreateOffer(nil)
	require.NoError(t, err)
	sdp, err := setLocalAndGather(ctx, pc, o)
	require.NoError(t, err)
	return pc, dc, sdp
}

// candidates returns the SDP's a=candidate lines.
func candidates(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// withoutCandidates drops the SDP's candidate lines: the offerer then
// knows none of the answerer's addresses, and ICE connects only if the
// answerer reaches the offerer's mDNS names.
func withoutCandidates(sdp string) string {
	var keep []string
	for _, l := range strings.Split(sdp, "\n") {
		if !strings.HasPrefix(l, "a=candidate:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestNativeResolvesMDNSCandidates: a browser-like peer whose only
// candidates are .local names offers to Braid's default (LAN) config;
// Braid resolves the names by multicast DNS and the data channel carries
// bytes, while the offerer is never told Braid's own addresses. With mDNS
// off the same exchange cannot connect, so the resolution is what
// connects it. It runs in a network namespace the test makes (multicast
// on a veth there, nothing on the host's interfaces).
func TestNativeResolvesMDNSCandidates(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	connect := func(cfg Config, within time.Duration) (*conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		pc, dc, offer := browserLikeOffer(t, ctx)
		cands := candidates(offer)
		require.NotEmpty(t, cands, "the browser-like peer gathered no candidate")
		for _, c := range cands {
			require.Contains(t, c, ".local", "a browser-like candidate shows an address: %s", c)
		}
		require.NotContains(t, offer, netnstest.Addr4)
		got := make(chan *conn, 1)
		_, answer, err := cfg.withDefaults().answer(ctx, offer, func(pc *webrtc.PeerConnection, dc *webrtc.DataChannel) {
			got <- newConn(pc, dc, peerB, peerA, nil)
		})
		require.NoError(t, err)
		require.NoError(t, acceptAnswer(pc, withoutCandidates(answer)))
		opened := make(chan struct{})
		dc.OnOpen(func() { close(opened) })
		select {
		case <-opened:
		case <-time.After(within):
			return nil, context.DeadlineExceeded
		}
		b := <-got
		t.Cleanup(func() { _ = b.Close() })
		msg := randomBytes(64<<10, 7)
		for off := 0; off < len(msg); off += 16 << 10 {
			require.NoError(t, dc.Send(msg[off:off+16<<10]))
		}
		buf := make([]byte, len(msg))
		_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadFull(b, buf)
		require.NoError(t, err)
		require.True(t, bytes.Equal(msg, buf), "bytes differ")
		return b, nil
	}

	_, err := connect(Config{}, 15*time.Second)
	require.NoError(t, err, "Braid's default config did not connect to .local candidates")

	// A host without IPv6 (booted with ipv6.disable=1; a namespace cannot
	// show it) gathers IPv4 only and still resolves.
	hasV6 := mdnsIPv6
	mdnsIPv6 = func() bool { return false }
	_, err = connect(Config{}, 15*time.Second)
	mdnsIPv6 = hasV6
	require.NoError(t, err, "Braid's IPv4-only config did not connect to .local candidates")

	// The control: pion with mDNS off drops .local candidates and never connects.
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	_, err = connectDisabled(t, se)
	require.Error(t, err, "connected without resolving .local names: the test proves nothing")
}

// connectDisabled runs the same exchange with an answerer whose mDNS is
// off; it returns an error when no channel opens within 8 s.
func connectDisabled(t *testing.T, se webrtc.SettingEngine) (*webrtc.PeerConnection, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pc, dc, offer := browserLikeOffer(t, ctx)
	b, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	require.NoError(t, b.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}))
	a, err := b.CreateAnswer(nil)
	require.NoError(t, err)
	answer, err := setLocalAndGather(ctx, b, a)
	require.NoError(t, err)
	require.NoError(t, acceptAnswer(pc, withoutCandidates(answer)))
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	select {
	case <-opened:
		return b, nil
	case <-time.After(8 * time.Second):
		return nil, context.DeadlineExceeded
	}
}
