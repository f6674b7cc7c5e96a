//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package hostile

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
	"nhooyr.io/websocket"
)

// wsBraid is a `braid seed` or `braid download` process that also accepts
// WebSocket peers (--ws-listen).
type wsBraid struct {
	*braidProc
	addr string // TCP peer address
	ws   string // ws:// URL
	dir  string // data directory
}

// startWSBraid runs `braid mode --ws-listen 127.0.0.1:0` for c and waits
// until its torrent accepts peers: a seeder has verified its data, a
// downloader has finished its start-up check.
func startWSBraid(t *testing.T, mode string, c *content) *wsBraid {
	t.Helper()
	bin := braidPath(t)
	tf := filepath.Join(t.TempDir(), c.name+".torrent")
	require.NoError(t, os.WriteFile(tf, c.torrent, 0o644))
	dir, ready := t.TempDir(), "resume"
	if mode == "seed" {
		dir, ready = c.seedDir, "complete"
	}
	p := startBraid(t, bin, mode, "--no-dht", "--stun", "none", "--json", "--dir", dir, "--state-dir", t.TempDir(),
		"--listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0", tf)
	var b wsBraid
	ok := eventually(20*time.Second, func() bool {
		l, ok := p.last("listening")
		if !ok {
			return false
		}
		b.addr, _ = l["addr"].(string)
		b.ws, _ = l["ws"].(string)
		_, isReady := p.last(ready)
		return b.ws != "" && isReady
	})
	require.True(t, ok, "braid %s: no listening line with a ws URL and no %q event in 20 s; stderr:\n%s", mode, ready, p.stderrText())
	b.braidProc, b.dir = p, dir
	return &b
}

// pid is the process id, for reading its memory from /proc.
func (b *wsBraid) pid() int { return b.cmd.Process.Pid }

// dialWS opens a WebSocket to url from hostileIP and returns it as a
// byte stream (each Write one binary message) and the raw WebSocket, for
// frames a Braid never sends.
func dialWS(t testing.TB, url string) (net.Conn, *websocket.Conn) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(hostileIP)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, err, "hostile WebSocket dial %s", url)
	tr.CloseIdleConnections()
	t.Cleanup(func() { _ = ws.CloseNow() })
	return websocket.NetConn(context.Background(), ws, websocket.MessageBinary), ws
}

// connectWSHostile dials url over WebSocket and completes a BitTorrent
// handshake for ih.
func connectWSHostile(t testing.TB, url string, ih [20]byte) (*hostilePeer, *websocket.Conn) {
	t.Helper()
	nc, ws := dialWS(t, url)
	h := newHostile(t, nc)
	require.NoError(t, h.sendHandshake(ih, true, true))
	require.NoError(t, h.readHandshake(5*time.Second), "Braid's handshake over WebSocket")
	return h, ws
}

// honestWSDownload fetches c from url with an in-process Braid that dials
// the WebSocket URL: the node under attack still serves browsers.
func honestWSDownload(t *testing.T, c *content, url string) {
	t.Helper()
	cl := newClient(t, braid.Config{})
	dir := t.TempDir()
	tor, err := cl.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(url), braid.WithDir(dir))
	require.NoError(t, err)
	waitComplete(t, tor, 60*time.Second)
	requireContent(t, c, dir)
}
