package braid

import (
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
