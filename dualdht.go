package braid

import (
	"context"
	"errors"
	"net/netip"
)

// dualDHT runs an IPv4 and an IPv6 DHT node as one (BEP 32): a lookup asks
// both and hands on what either finds, a node goes to the one of its
// family, and our address is the IPv4 node's (both use the same port).
type dualDHT struct{ v4, v6 dhtNode }

func (d dualDHT) Announce(ctx context.Context, infoHash [20]byte, port int, impliedPort bool) (<-chan []netip.AddrPort, error) {
	c4, err4 := d.v4.Announce(ctx, infoHash, port, impliedPort)
	c6, err6 := d.v6.Announce(ctx, infoHash, port, impliedPort)
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

func (d dualDHT) AddNode(addr string) error {
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Unmap().Is6() {
		return d.v6.AddNode(addr)
	}
	return d.v4.AddNode(addr)
}

func (d dualDHT) Addr() netip.AddrPort { return d.v4.Addr() }

func (d dualDHT) Close() error { return errors.Join(d.v4.Close(), d.v6.Close()) }
