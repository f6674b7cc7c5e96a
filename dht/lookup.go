//go:build !js

package dht

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
)

const (
	// maxPeersPerLookup bounds the dedupe set (and what one lookup reports).
	maxPeersPerLookup = 4096
	// lookupBuffer batches may wait for a slow reader before the traversal
	// itself waits.
	lookupBuffer = 16
)

// Announce looks up infoHash (get_peers), streaming the peers found, then
// tells the closest nodes that we are a peer on port (announce_peer; with
// impliedPort they take the UDP source port instead, for NAT-mapped
// peers). The channel closes when the traversal and the announce are done,
// ctx is cancelled (which also cancels the announce), or the node closes.
// Each batch holds addresses not reported before, none with port 0 or an
// unspecified IP. The caller must drain the channel or cancel ctx.
func (n *Node) Announce(ctx context.Context, infoHash [20]byte, port int, impliedPort bool) (<-chan []netip.AddrPort, error) {
	if !impliedPort && (port <= 0 || port > 65535) {
		return nil, fmt.Errorf("dht: announce port %d: %w", port, ErrInvalidPort)
	}
	if impliedPort && (port < 0 || port > 65535) {
		return nil, fmt.Errorf("dht: announce port %d: %w", port, ErrInvalidPort)
	}
	return n.lookup(ctx, infoHash, dht.AnnouncePeer(dht.AnnouncePeerOpts{Port: port, ImpliedPort: impliedPort}))
}

// GetPeers is Announce without announcing: it only finds peers.
func (n *Node) GetPeers(ctx context.Context, infoHash [20]byte) (<-chan []netip.AddrPort, error) {
	return n.lookup(ctx, infoHash)
}

func (n *Node) lookup(ctx context.Context, infoHash [20]byte, opts ...dht.AnnounceOpt) (<-chan []netip.AddrPort, error) {
	if n.isClosed() {
		return nil, ErrClosed
	}
	if n.srv.NumNodes() == 0 && len(n.bootstrapList()) == 0 {
		return nil, fmt.Errorf("dht: lookup %x: empty table and no bootstrap nodes: %w", infoHash, ErrNoNodes)
	}
	select {
	case n.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("dht: lookup %x: %w", infoHash, ctx.Err())
	case <-n.ctx.Done():
		return nil, ErrClosed
	}
	if !n.track() {
		<-n.slots
		return nil, ErrClosed
	}
	a, err := n.srv.AnnounceTraversal(infoHash, opts...)
	if err != nil {
		<-n.slots
		n.wg.Done()
		return nil, fmt.Errorf("dht: lookup %x: %v: %w", infoHash, err, ErrNoNodes)
	}
	out := make(chan []netip.AddrPort, lookupBuffer)
	n.lookups.Add(1)
	go n.runLookup(ctx, a, infoHash, out)
	return out, nil
}

// runLookup forwards the traversal's peers until it ends. On cancel it
// stops the traversal and keeps draining, because the library's workers
// block until their results are read.
func (n *Node) runLookup(ctx context.Context, a *dht.Announce, infoHash [20]byte, out chan<- []netip.AddrPort) {
	defer func() {
		close(out)
		n.lookups.Add(-1)
		<-n.slots
		n.wg.Done()
	}()
	cancelled := false
	done, closing := ctx.Done(), n.ctx.Done()
	cancel := func() {
		a.Close()
		cancelled = true
		done, closing = nil, nil
	}
	deadline := time.NewTimer(maxLookupDuration)
	defer deadline.Stop()
	seen := make(map[netip.AddrPort]struct{})
	send := func(batch []netip.AddrPort) {
		if len(batch) == 0 || cancelled {
			return
		}
		select {
		case out <- batch:
		case <-done:
			cancel()
		case <-closing:
			cancel()
		}
	}
	// Peers announced to us count too: a lookup never asks its own node.
	send(addPeers(seen, n.store.peers(infoHash, maxPeersPerReply)))
	for {
		select {
		case pv, ok := <-a.Peers:
			if !ok {
				return
			}
			send(cleanPeers(seen, pv.Peers))
		case <-done:
			cancel()
		case <-closing:
			cancel()
		case <-deadline.C:
			// Stop searching but still announce to the closest found.
			a.StopTraversing()
		}
	}
}

// cleanPeers converts a reply's values, dropping malformed, unusable and
// already reported addresses.
func cleanPeers(seen map[netip.AddrPort]struct{}, values []krpc.NodeAddr) []netip.AddrPort {
	var batch []netip.AddrPort
	for _, v := range values {
		ap, ok := addrPortFromIP(v.IP, v.Port)
		if !ok {
			continue
		}
		batch = appendNew(seen, batch, ap)
	}
	return batch
}

func addPeers(seen map[netip.AddrPort]struct{}, aps []netip.AddrPort) []netip.AddrPort {
	var batch []netip.AddrPort
	for _, ap := range aps {
		batch = appendNew(seen, batch, ap)
	}
	return batch
}

func appendNew(seen map[netip.AddrPort]struct{}, batch []netip.AddrPort, ap netip.AddrPort) []netip.AddrPort {
	if !usableNodeAddr(ap) || len(seen) >= maxPeersPerLookup {
		return batch
	}
	if _, dup := seen[ap]; dup {
		return batch
	}
	seen[ap] = struct{}{}
	return append(batch, ap)
}

// udpAddr is the library's form of an address.
func udpAddr(ap netip.AddrPort) dht.Addr { return dht.NewAddr(net.UDPAddrFromAddrPort(ap)) }
