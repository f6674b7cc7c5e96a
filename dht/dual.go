package dht

import (
	"context"
	"errors"
	"net/netip"
)

// Server is a running DHT node as Braid uses it: a *Node, or a Dual of two.
type Server interface {
	// Announce looks up infoHash's peers and announces us on port; the
	// channel delivers batches of peers and closes when the lookup ends.
	Announce(ctx context.Context, infoHash [20]byte, port int, impliedPort bool) (<-chan []netip.AddrPort, error)
	// AddNode adds a node ("host:port") to the routing table.
	AddNode(addr string) error
	// Addr is the node's UDP address.
	Addr() netip.AddrPort
	Close() error
}

// Dual runs an IPv4 and an IPv6 DHT node as one (BEP 32): a lookup asks
// both and hands on what either finds, a node goes to the one of its
// family, and our address is the IPv4 node's (both use the same port).
type Dual struct{ V4, V6 Server }

// Announce asks both nodes; it fails only when both do.
func (d Dual) Announce(ctx context.Context, infoHash [20]byte, port int, impliedPort bool) (<-chan []netip.AddrPort, error) {
	c4, err4 := d.V4.Announce(ctx, infoHash, port, impliedPort)
	c6, err6 := d.V6.Announce(ctx, infoHash, port, impliedPort)
	if err4 != nil && err6 != nil {
		return nil, errors.Join(err4, err6)
	}
	out := make(chan []netip.AddrPort)
	go func() {
		defer close(out)
		for c4 != nil || c6 != nil {
			var peers []netip.AddrPort
			var ok bool
			select {
			case peers, ok = <-c4:
				if !ok {
					c4 = nil
					continue
				}
			case peers, ok = <-c6:
				if !ok {
					c6 = nil
					continue
				}
			}
			select {
			case out <- peers:
			case <-ctx.Done():
				return // the lookups end with ctx too, and never block on us
			}
		}
	}()
	return out, nil
}

// AddNode hands an IPv6 node to the IPv6 node, any other (IPv4-mapped
// included) to the IPv4 one.
func (d Dual) AddNode(addr string) error {
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Unmap().Is6() {
		return d.V6.AddNode(addr)
	}
	return d.V4.AddNode(addr)
}

// Addr is the IPv4 node's address.
func (d Dual) Addr() netip.AddrPort { return d.V4.Addr() }

// Close closes both nodes.
func (d Dual) Close() error { return errors.Join(d.V4.Close(), d.V6.Close()) }

var _ Server = (*Node)(nil)
