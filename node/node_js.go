//go:build js

package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/timing"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/websocket"
)

// errBrowser marks what the browser build does not do: it has no
// listening sockets, no file system and no UDP.
var errBrowser = errors.New("not available in the browser")

// platform: in the browser, the IndexedDB database holding both the
// resume records and the pieces.
type platform struct{ db *persist.IDB }

// New opens the IndexedDB database the state directory names (resume
// records and pieces) and starts the engine with the browser's transports:
// WebSocket dials and WebRTC. A browser cannot listen, so Config must set
// NoListen and no WSListenAddr; it has no DHT (NoDHT unset is logged).
func New(cfg Config) (_ *Node, err error) {
	cfg.setDefaults()
	if err := cfg.checkOffline(); err != nil {
		return nil, err
	}
	if _, err := openBlocklist(cfg.Blocklist, nil); err != nil {
		return nil, err
	}
	if cfg.Proxy != "" {
		return nil, fmt.Errorf("%w: %w", ErrProxy, errBrowser)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := persist.OpenIDB(ctx, cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("open state directory: open IndexedDB %q: %w", cfg.StateDir, err)
	}
	timing.Mark("idb-open")
	defer func() {
		if err != nil {
			_ = db.Close()
		}
	}()
	if !cfg.NoListen {
		return nil, fmt.Errorf("listen: %w", errBrowser)
	}
	if cfg.WSListenAddr != "" {
		return nil, fmt.Errorf("websocket listen: %w", errBrowser)
	}
	if !cfg.NoDHT {
		cfg.Logger.Warn("DHT disabled", "err", fmt.Errorf("dht: %w", errBrowser))
	}
	n := &Node{cfg: cfg, state: db.StateStore(), plat: platform{db: db}}
	// Hash workers: a few pieces in hashing at once, so reading one from
	// IndexedDB overlaps WebCrypto's digest of another (both asynchronous;
	// the page has one thread for Go either way). No HTTP or UDP
	// trackers: a browser cannot dial the ip:port peers they return (and
	// most refuse cross-origin requests).
	n.startEngine(cfg.Engine, []transport.Transport{websocket.Dialer{}}, 3, false)
	return n, nil
}

// readTorrentFile: a browser has no file system.
func readTorrentFile(path string) ([]byte, error) {
	return nil, fmt.Errorf("read %s: %w; pass the torrent's bytes", path, errBrowser)
}

// openStorage opens the torrent's pieces in IndexedDB (dir is not used:
// the database is the state directory's).
func (p platform) openStorage(_ string, ih [20]byte, info *metainfo.Info) (persist.Storage, bool, error) {
	st, err := p.db.Storage(ih, info.Length, info.PieceLength)
	if err != nil {
		return nil, false, fmt.Errorf("open pieces in IndexedDB: %w", err)
	}
	return st, st.HasData(), nil
}

// loadBlocklist: a browser reads no files (and its fetches would be
// cross-origin).
func loadBlocklist(src string, _ *http.Client) (blocker, error) {
	return nil, fmt.Errorf("%w %s: %w", ErrBlocklist, src, errBrowser)
}
