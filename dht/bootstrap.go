//go:build !js

package dht

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/anacrolix/dht/v2"
)

const (
	// resolveTimeout bounds resolving the bootstrap host names.
	resolveTimeout = 10 * time.Second
	// bootCacheTTL keeps resolved bootstrap addresses: the library asks for
	// them every time its table is empty.
	bootCacheTTL = 5 * time.Minute
	// bootstrapRetry is how often Bootstrap looks again while the library's
	// maintainer is bootstrapping.
	bootstrapRetry = 50 * time.Millisecond
)

// Bootstrap fills the routing table: a find_node traversal towards our own
// ID, starting from the table or, if it is empty, the bootstrap nodes. It
// returns ErrNoNodes when nobody answered.
func (n *Node) Bootstrap(ctx context.Context) error {
	if n.isClosed() {
		return ErrClosed
	}
	if n.srv.NumNodes() == 0 && len(n.bootstrapList()) == 0 {
		return fmt.Errorf("dht: bootstrap: empty table and no bootstrap nodes: %w", ErrNoNodes)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(n.ctx, cancel)
	defer stop()
	for {
		_, err := n.srv.BootstrapContext(ctx)
		if err == nil {
			break
		}
		if n.isClosed() {
			return ErrClosed
		}
		if ctx.Err() != nil {
			return fmt.Errorf("dht: bootstrap: %w", ctx.Err())
		}
		// The library refuses a second concurrent bootstrap (its table
		// maintainer runs one at start) with this untyped error: wait for
		// that one, then run ours.
		if err.Error() == "already bootstrapping" {
			select {
			case <-time.After(bootstrapRetry):
				continue
			case <-ctx.Done():
				return fmt.Errorf("dht: bootstrap: %w", ctx.Err())
			}
		}
		return fmt.Errorf("dht: bootstrap: %w", err)
	}
	if n.srv.Stats().GoodNodes == 0 {
		return fmt.Errorf("dht: bootstrap: no node answered: %w", ErrNoNodes)
	}
	return nil
}

// bootstrapList is what an empty table starts from.
func (n *Node) bootstrapList() []string {
	if len(n.cfg.BootstrapNodes) > 0 {
		return n.cfg.BootstrapNodes
	}
	if n.cfg.NoBootstrap {
		return nil
	}
	return DefaultBootstrapNodes
}

// startingNodes is the library's StartingNodesGetter: the bootstrap nodes,
// resolved to our address family. It never fails: when a bootstrap cannot
// start, the library leaks the traversal's goroutine, and its maintainer
// retries every minute. Instead we offer our own address; the traversal
// asks us, learns nothing and ends (the keeper retries the real nodes).
func (n *Node) startingNodes() ([]dht.Addr, error) {
	if addrs := n.resolveBootstrap(); len(addrs) > 0 {
		return addrs, nil
	}
	return []dht.Addr{dht.NewAddr(net.UDPAddrFromAddrPort(n.selfAddr()))}, nil
}

// selfAddr is an address our own socket receives on.
func (n *Node) selfAddr() netip.AddrPort {
	ap := n.Addr()
	if ap.Addr().IsUnspecified() {
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if n.v6 {
			lo = netip.IPv6Loopback()
		}
		ap = netip.AddrPortFrom(lo, ap.Port())
	}
	return ap
}

// resolveBootstrap resolves the bootstrap list, caching a success.
func (n *Node) resolveBootstrap() []dht.Addr {
	list := n.bootstrapList()
	if len(list) == 0 {
		return nil
	}
	n.bootMu.Lock()
	defer n.bootMu.Unlock()
	if len(n.bootCache) > 0 && time.Since(n.bootCached) < bootCacheTTL {
		return n.bootCache
	}
	ctx, cancel := context.WithTimeout(n.ctx, resolveTimeout)
	defer cancel()
	family := "ip4"
	if n.v6 {
		family = "ip6"
	}
	var out []dht.Addr
	seen := make(map[netip.AddrPort]bool)
	for _, hp := range list {
		host, port, err := splitHostPort(hp)
		if err != nil {
			continue
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = net.DefaultResolver.LookupNetIP(ctx, family, host); err != nil {
			n.logger.Debug("dht: resolve bootstrap node", "node", hp, "err", err)
			continue
		}
		for _, ip := range ips {
			ap := netip.AddrPortFrom(ip.Unmap(), port)
			if ap.Addr().Is6() != n.v6 || !usableNodeAddr(ap) || seen[ap] {
				continue
			}
			seen[ap] = true
			out = append(out, dht.NewAddr(net.UDPAddrFromAddrPort(ap)))
		}
	}
	if len(out) > 0 {
		n.bootCache, n.bootCached = out, time.Now()
	}
	return out
}

// splitHostPort parses "host:port" with a port in 1..65535.
func splitHostPort(hp string) (string, uint16, error) {
	host, ps, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, fmt.Errorf("dht: %q: %v: %w", hp, err, ErrInvalidAddr)
	}
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || port == 0 || host == "" {
		return "", 0, fmt.Errorf("dht: %q: bad host or port: %w", hp, ErrInvalidAddr)
	}
	return host, uint16(port), nil
}
