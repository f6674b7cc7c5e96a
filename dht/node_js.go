//go:build js

package dht

import (
	"context"
	"net/netip"
)

// Node is unavailable in the browser: there is no UDP there.
type Node struct{}

// New returns ErrUnsupported: browsers cannot open UDP sockets.
func New(Config) (*Node, error) { return nil, ErrUnsupported }

// Addr is the zero address.
func (n *Node) Addr() netip.AddrPort { return netip.AddrPort{} }

// ID is the zero ID.
func (n *Node) ID() [20]byte { return [20]byte{} }

// Bootstrap returns ErrUnsupported.
func (n *Node) Bootstrap(context.Context) error { return ErrUnsupported }

// AddNode returns ErrUnsupported.
func (n *Node) AddNode(string) error { return ErrUnsupported }

// Announce returns ErrUnsupported.
func (n *Node) Announce(context.Context, [20]byte, int, bool) (<-chan []netip.AddrPort, error) {
	return nil, ErrUnsupported
}

// GetPeers returns ErrUnsupported.
func (n *Node) GetPeers(context.Context, [20]byte) (<-chan []netip.AddrPort, error) {
	return nil, ErrUnsupported
}

// Stats is empty.
func (n *Node) Stats() Stats { return Stats{} }

// Close does nothing.
func (n *Node) Close() error { return nil }
