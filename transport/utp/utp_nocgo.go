//go:build !cgo && !js

package utp

import (
	"context"
	"log/slog"
	"net"
)

// Available reports whether this build carries uTP: it needs cgo, and
// this build has none, so peers are reached over TCP only.
const Available = false

// Socket is a uTP socket; without cgo none can be opened.
type Socket struct{}

// Listen fails: this build has no uTP.
func Listen(string, string, *slog.Logger) (*Socket, error) { return nil, ErrUnavailable }

func (*Socket) Accept() (net.Conn, error)                      { return nil, ErrUnavailable }
func (*Socket) Addr() net.Addr                                 { return nil }
func (*Socket) Close() error                                   { return nil }
func (*Socket) Dial(context.Context, string) (net.Conn, error) { return nil, ErrUnavailable }
func (*Socket) PacketConn() net.PacketConn                     { return nil }
