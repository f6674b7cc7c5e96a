//go:build js

package tracker

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// errUDPInBrowser: browsers cannot send UDP datagrams.
var errUDPInBrowser = fmt.Errorf("UDP trackers are unsupported in the browser: %w", errors.ErrUnsupported)

// transact fails at once: a browser has no UDP sockets, and leaving the
// native dialer out keeps the resolver out of the wasm.
func (c *udpClient) transact(context.Context, func(conn net.Conn, connID uint64, v6 bool) error) error {
	return errUDPInBrowser
}
