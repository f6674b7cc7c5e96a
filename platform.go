package braid

import (
	"context"
	"net"

	"github.com/braid-bt/braid/engine"

	"github.com/braid-bt/braid/persist"
)

// listener is a peer listener and what to announce for it.
type listener struct {
	l         net.Listener
	port      uint16
	transport string
	url       string // ws:// listeners: the URL peers dial
}

// utpSocket is a UDP port carrying uTP peers; PacketConn is its other
// traffic, for the DHT to share.
type utpSocket interface {
	net.Listener
	Dial(ctx context.Context, addr string) (net.Conn, error)
	PacketConn() net.PacketConn
}

// openedStorage is a torrent's storage and whether data already existed.
type openedStorage struct {
	storage persist.Storage
	hasData bool
}

// dhtNode is a running DHT node the client owns.
// portMapper keeps the router forwarding the listening ports.
type portMapper interface {
	Status() PortMapping
	Close()
}

type dhtNode interface {
	engine.DHT
	Close() error
}
