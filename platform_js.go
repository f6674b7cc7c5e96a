//go:build js

package braid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
)

// errBrowser marks what the browser build does not do (yet): it has no
// listening sockets, no file system and no UDP.
var errBrowser = errors.New("not available in the browser")

// platform picks browser defaults: data and records in memory until the
// IndexedDB stores land; peers only over WebRTC and WebSocket transports.
type platform struct{}

func newPlatform() platform { return platform{} }

func (platform) openState(string) (persist.StateStore, error) {
	return persist.NewMemoryStateStore(), nil
}

func (platform) listen(string) (listener, error) {
	return listener{}, fmt.Errorf("listen: %w", errBrowser)
}

func (platform) dial(context.Context, string) (net.Conn, error) {
	return nil, fmt.Errorf("dial: %w", errBrowser)
}

func (platform) readTorrentFile(path string) ([]byte, error) {
	return nil, fmt.Errorf("read %s: %w; pass the torrent's bytes", path, errBrowser)
}

func (platform) openStorage(_ string, info *metainfo.Info) (openedStorage, error) {
	return openedStorage{storage: persist.NewMemory(info.Length)}, nil
}

func (platform) openDHT(string, []string, string, *slog.Logger) (dhtNode, error) {
	return nil, fmt.Errorf("dht: %w", errBrowser)
}

func (platform) listenWS(string) (listener, error) {
	return listener{}, fmt.Errorf("websocket listen: %w", errBrowser)
}
