//go:build js

package braid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport/websocket"
)

// errBrowser marks what the browser build does not do (yet): it has no
// listening sockets, no file system and no UDP.
var errBrowser = errors.New("not available in the browser")

// platform picks browser defaults: data and resume records in IndexedDB
// (the state directory names the database); peers over WebRTC and
// WebSocket only.
type platform struct{ db *idbHandle }

// idbHandle is the database openState opened, shared by every torrent.
type idbHandle struct{ db *persist.IDB }

func newPlatform() platform { return platform{db: &idbHandle{}} }

func (p platform) openState(name string) (persist.StateStore, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := persist.OpenIDB(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open IndexedDB %q: %w", name, err)
	}
	p.db.db = db
	return db.StateStore(), nil
}

func (platform) listen(string) (listener, error) {
	return listener{}, fmt.Errorf("listen: %w", errBrowser)
}

// dial reaches ws:// peers; a browser cannot open TCP connections.
func (platform) dial(ctx context.Context, addr string) (net.Conn, error) {
	if websocket.IsURL(addr) {
		return websocket.Dial(ctx, addr)
	}
	return nil, fmt.Errorf("dial %s: %w (only ws:// peers)", addr, errBrowser)
}

func (platform) readTorrentFile(path string) ([]byte, error) {
	return nil, fmt.Errorf("read %s: %w; pass the torrent's bytes", path, errBrowser)
}

func (p platform) openStorage(_ string, ih [20]byte, info *metainfo.Info) (openedStorage, error) {
	st, err := p.db.db.Storage(ih, info.Length, info.PieceLength)
	if err != nil {
		return openedStorage{}, err
	}
	return openedStorage{storage: st, hasData: st.HasData()}, nil
}

// listenUTP: a browser has no UDP sockets.
func (platform) listenUTP(string, *slog.Logger) (utpSocket, error) {
	return nil, fmt.Errorf("utp: %w", errBrowser)
}

func (platform) openDHT(string, net.PacketConn, []string, string, *slog.Logger) (dhtNode, error) {
	return nil, fmt.Errorf("dht: %w", errBrowser)
}

func (platform) listenWS(string) (listener, error) {
	return listener{}, fmt.Errorf("websocket listen: %w", errBrowser)
}

// hashWorkers: a few pieces in hashing at once, so reading one from
// IndexedDB overlaps WebCrypto's digest of another (both asynchronous; the
// page has one thread for Go either way).
func (platform) hashWorkers() int { return 3 }

// classicTrackers: a browser cannot dial the ip:port peers HTTP and UDP
// trackers return (and most refuse cross-origin requests): only WebSocket
// trackers are used.
func (platform) classicTrackers() bool { return false }

// mapPorts: a browser has no listener to forward.
func (platform) mapPorts(string, int, []int, *slog.Logger) portMapper { return nil }
