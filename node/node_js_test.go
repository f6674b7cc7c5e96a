//go:build js

package node

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// In the browser a node opens the IndexedDB database the state directory
// names, refuses to listen, and keeps a torrent's pieces in that database.
// (Runs under Node with fake-indexeddb: make wasm-browser.)
func TestBrowserNode(t *testing.T) {
	_, err := New(Config{StateDir: "node-test-listen"})
	require.ErrorIs(t, err, errBrowser, "a browser cannot listen")
	_, err = New(Config{StateDir: "node-test-ws", NoListen: true, WSListenAddr: "127.0.0.1:0"})
	require.ErrorIs(t, err, errBrowser)
	_, err = New(Config{StateDir: "node-test-proxy", NoListen: true, Proxy: "socks5://127.0.0.1:1080"})
	require.ErrorIs(t, err, ErrProxy, "a browser has no proxy")
	require.ErrorIs(t, err, errBrowser)

	n, err := New(Config{StateDir: "node-test", NoListen: true, NoDHT: true, NoWebRTC: true})
	require.NoError(t, err)
	defer n.Close()
	assert.Empty(t, n.ListenAddr())
	assert.Empty(t, n.WSURL())
	_, ok := n.PortMapping()
	assert.False(t, ok)
	_, err = n.ReadTorrentFile("x.torrent")
	require.ErrorIs(t, err, errBrowser)

	raw, err := metainfo.Create(metainfo.CreateOptions{Files: []metainfo.FileSpec{{Path: []string{"f.bin"}, Length: 100}},
		SingleFile: true, PieceLength: 16 << 10}, bytes.NewReader(make([]byte, 100)))
	require.NoError(t, err)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	st, has, err := n.OpenStorage("ignored", mi.InfoHash, mi.Info)
	require.NoError(t, err)
	assert.False(t, has)
	_, err = st.WriteAt(make([]byte, 100), 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	st, has, err = n.OpenStorage("ignored", mi.InfoHash, mi.Info)
	require.NoError(t, err)
	assert.True(t, has, "the piece is in the database")
	require.NoError(t, st.Close())
	recs, err := n.State().List()
	require.NoError(t, err)
	assert.Empty(t, recs)
}
