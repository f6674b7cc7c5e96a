//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

//go:build !js

package braid_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport/utp"
)

// handshakeFrom opens a connection with dial, sends a handshake for ih
// and reports whether the peer answered with its own (false: it closed).
func handshakeFrom(t *testing.T, c net.Conn, ih braid.InfoHash) bool {
	t.Helper()
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	hs := wire.Handshake{InfoHash: ih, PeerID: [20]byte{'-', 'T', 'T'}}
	if _, err := c.Write(hs.Append(nil)); err != nil {
		return false
	}
	buf := make([]byte, wire.HandshakeLen)
	if _, err := io.ReadFull(c, buf); err != nil {
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "refused at once, not left hanging")
		return false
	}
	got, err := wire.ParseHandshake(buf)
	require.NoError(t, err)
	return got.InfoHash == [20]byte(ih)
}

func tcpFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	return c
}

func wsFrom(t *testing.T, local, url string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}})
	require.NoError(t, err)
	return websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
}

func utpFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	s, err := utp.Listen("udp4", local+":0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := s.Dial(ctx, addr)
	require.NoError(t, err)
	return c
}

// A seeder at a blocked address (127.0.0.2) is never dialled, over TCP,
// uTP or WebSocket, though named with WithPeers; connections from it are
// refused on every listener; an unblocked seeder serves. Reloading a list
// without it lets it in both ways.
func TestBlocklistRefusesPeers(t *testing.T) {
	list := filepath.Join(t.TempDir(), "blocklist.p2p")
	require.NoError(t, os.WriteFile(list, []byte("# test\nloopback two:127.0.0.2-127.0.0.2\n"), 0o600))
	fx := makeFixture(t, 32<<10, 400_000)
	fx2 := makeFixture(t, 16<<10, 200_000)

	blocked := transportClient(t, fx.srcDir, func(c *braid.Config) {
		c.ListenAddr, c.WSListenAddr, c.NoWebRTC = "127.0.0.2:0", "127.0.0.2:0", true
	})
	for _, f := range []swarmFixture{fx, fx2} {
		bt, err := blocked.DownloadBytes(context.Background(), f.torrent, braid.WithDir(f.srcDir))
		require.NoError(t, err)
		waitDone(t, bt, 30*time.Second)
	}
	open := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
	ot, err := open.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, ot, 30*time.Second)

	leecher := transportClient(t, t.TempDir(), func(c *braid.Config) {
		c.NoWebRTC, c.Blocklist, c.WSListenAddr = true, list, "127.0.0.1:0"
	})
	assert.Equal(t, 1, leecher.BlocklistLen())
	named := []string{blocked.ListenAddr(), blocked.WSURL()}
	if utp.Available {
		named = append(named, "utp://"+blocked.ListenAddr())
	}
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(append(named, open.ListenAddr())...))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	st, err := leecher.Stats(fx.ih, "blocked", "client_blocked")
	require.NoError(t, err)
	assert.Equal(t, int64(len(named)), st["blocked"], "each named address of the blocked seeder")
	bst, err := blocked.Stats(fx.ih, "uploaded", "peers")
	require.NoError(t, err)
	assert.Equal(t, int64(0), bst["uploaded"], "the blocked seeder served nothing")
	assert.Equal(t, 0, bst["peers"])

	// Incoming: refused from 127.0.0.2 on every listener, answered from
	// 127.0.0.1.
	assert.False(t, handshakeFrom(t, tcpFrom(t, "127.0.0.2", leecher.ListenAddr()), fx.ih), "TCP from a blocked address")
	assert.True(t, handshakeFrom(t, tcpFrom(t, "127.0.0.1", leecher.ListenAddr()), fx.ih), "TCP from an open address")
	assert.False(t, handshakeFrom(t, wsFrom(t, "127.0.0.2", leecher.WSURL()), fx.ih), "WebSocket from a blocked address")
	assert.True(t, handshakeFrom(t, wsFrom(t, "127.0.0.1", leecher.WSURL()), fx.ih), "WebSocket from an open address")
	if utp.Available {
		assert.False(t, handshakeFrom(t, utpFrom(t, "127.0.0.2", leecher.ListenAddr()), fx.ih), "uTP from a blocked address")
		assert.True(t, handshakeFrom(t, utpFrom(t, "127.0.0.1", leecher.ListenAddr()), fx.ih), "uTP from an open address")
	}
	assert.Greater(t, leecher.Blocked(), int64(len(named)), "incoming refusals count client-wide")

	// Before the reload the blocked seeder is the only source of fx2:
	// nothing arrives.
	lt2, err := leecher.DownloadBytes(context.Background(), fx2.torrent, braid.WithPeers(blocked.ListenAddr()))
	require.NoError(t, err)
	select {
	case <-lt2.Completed():
		t.Fatal("downloaded from a blocked seeder")
	case <-time.After(2 * time.Second):
	}
	require.NoError(t, leecher.StopAndSerialize(fx2.ih))

	require.NoError(t, os.WriteFile(list, []byte("elsewhere:10.9.9.0-10.9.9.255\n"), 0o600))
	require.NoError(t, leecher.ReloadBlocklist())
	lt2, err = leecher.DownloadBytes(context.Background(), fx2.torrent, braid.WithPeers(blocked.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt2, 60*time.Second)
	assert.True(t, handshakeFrom(t, tcpFrom(t, "127.0.0.2", leecher.ListenAddr()), fx.ih), "TCP from 127.0.0.2 after the reload")
}

// A malformed list fails New with one error naming the line.
func TestBlocklistMalformed(t *testing.T) {
	list := filepath.Join(t.TempDir(), "ipfilter.dat")
	require.NoError(t, os.WriteFile(list, []byte("001.000.000.000 - 001.000.000.255 , 000 , ok\nnonsense here\n"), 0o600))
	_, err := braid.New(braid.Config{StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0", NoDHT: true, NoWebRTC: true,
		NoPortMapping: true, Blocklist: list})
	require.ErrorIs(t, err, braid.ErrBlocklist)
	assert.Contains(t, err.Error(), "blocklist line 2")
	assert.NotContains(t, err.Error(), "\n")
}
