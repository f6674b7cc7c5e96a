package socks5

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// DialContext opens a TCP stream to addr ("host:port") through the proxy
// (CONNECT). A host name goes to the proxy unresolved. The connection's
// RemoteAddr is addr (a *net.TCPAddr for an IP), not the proxy's. Only
// "tcp", "tcp4" and "tcp6" are carried; anything else wraps
// ErrUnsupported. There is no way around the proxy: when it fails, the
// dial fails.
func (p *Proxy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("%w: %s to %s", ErrUnsupported, network, addr)
	}
	if _, err := appendAddr(nil, addr); err != nil {
		return nil, err
	}
	c, err := p.open(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := p.request(ctx, c, cmdConnect, addr); err != nil {
		_ = c.Close()
		return nil, err
	}
	return &streamConn{Conn: c, remote: targetAddr("tcp", addr)}, nil
}

// streamConn is a connection through the proxy that names its target as
// its remote address.
type streamConn struct {
	net.Conn
	remote net.Addr
}

func (c *streamConn) RemoteAddr() net.Addr { return c.remote }

// targetAddr is addr as a *net.TCPAddr or *net.UDPAddr when it is an IP
// address, else a name address.
func targetAddr(network, addr string) net.Addr {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		if network == "udp" {
			return net.UDPAddrFromAddrPort(ap)
		}
		return net.TCPAddrFromAddrPort(ap)
	}
	return nameAddr{network: network, addr: addr}
}

// nameAddr is a "host:port" with a host name the proxy resolves.
type nameAddr struct{ network, addr string }

func (a nameAddr) Network() string { return a.network }
func (a nameAddr) String() string  { return a.addr }
