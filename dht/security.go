//go:build !js

package dht

import (
	"net"
	"net/netip"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
)

// secureOwnID makes id a BEP 42 ID for the node's address when the node
// listens on a specific public IP (other nodes that enforce BEP 42 then
// keep us in their tables). Behind a NAT, on every interface or on a
// private address the outside IP is unknown here and the ID stays as it
// is (a saved ID keeps the node's place in the ID space).
func secureOwnID(id *krpc.ID, local net.Addr) {
	ua, ok := local.(*net.UDPAddr)
	if !ok {
		return
	}
	ip, ok := netip.AddrFromSlice(ua.IP)
	if !ok {
		return
	}
	ip = ip.Unmap()
	if !publicIP(ip) || dht.NodeIdSecure(*id, ip.AsSlice()) {
		return
	}
	dht.SecureNodeId(id, ip.AsSlice())
}

// publicIP: a specific global unicast address, not a private (RFC 1918,
// RFC 4193) one, which BEP 42 exempts anyway.
func publicIP(ip netip.Addr) bool {
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsUnspecified()
}
