//go:build !js

package webrtc

import (
	"net"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

const (
	sctpReceiveBuffer = 4 << 20
	// udpSocketBuffer is asked of the kernel for each ICE socket (it caps the
	// request at net.core.rmem_max/wmem_max). The 208 KiB default drops
	// datagrams in bursts even on loopback, and every drop stalls SCTP.
	udpSocketBuffer = 4 << 20
)

// bufferedNet is the standard network with large UDP socket buffers.
type bufferedNet struct{ *stdnet.Net }

func (n bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(udpSocketBuffer)
	_ = c.SetWriteBuffer(udpSocketBuffer)
	return c, nil
}

// api builds pion's API; LoopbackOnly follows the recipe that keeps ICE on
// 127.0.0.1 (pion drops loopback candidates by default).
func (c Config) api() *webrtc.API {
	var se webrtc.SettingEngine
	if n, err := stdnet.NewNet(); err == nil {
		se.SetNet(bufferedNet{n})
	}
	// pion's 1 MiB default receive window caps a loopback or LAN transfer;
	// the conn's own queue (recvQueueMax) bounds memory beyond it.
	se.SetSCTPMaxReceiveBufferSize(sctpReceiveBuffer)
	// Zero checksums (RFC 9653) skip CRC32c when both ends agree (DTLS
	// already protects integrity); Chromium and pion negotiate it.
	se.EnableSCTPZeroChecksum(true)
	if c.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	} else {
		// Browsers hide their host addresses behind mDNS names
		// (<uuid>.local); ICE resolves them by multicast DNS queries on the
		// LAN. Braid's own candidates stay plain addresses.
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
		if !mdnsIPv6() {
			// pion turns mDNS off altogether when it cannot open the IPv6
			// mDNS socket, so a host without IPv6 gathers IPv4 only.
			se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		}
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// mdnsIPv6 reports whether this host can open the IPv6 mDNS socket
// ([ff02::fb]:5353, shared: Go sets SO_REUSEADDR on multicast binds).
// Checked once per process.
var mdnsIPv6 = sync.OnceValue(func() bool {
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("ff02::fb"), Port: 5353})
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
})
