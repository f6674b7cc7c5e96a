//go:build linux

package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/braid-bt/braid/internal/socks5/socks5test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSOCKS5Proxy: braid with --proxy reaches peers (TCP, and WebSocket
// peers' TCP), an HTTP tracker, a UDP tracker (UDP ASSOCIATE) and a web
// seed only through a
// SOCKS5 proxy: Debian's danted (CONNECT and UDP) and microsocks (CONNECT
// with a user and password). The servers run in a namespace the client
// could reach directly (see proxyNet); every download completes, not one
// packet from the client's own address reaches that namespace, and the
// tracker and the web seed see the proxy's address. Strict mode (the
// default) opens no UDP socket and no listener. A proxy that is down is a
// clear error and nothing goes around it. It runs in network namespaces
// the test makes and fails when they cannot be made.
func TestSOCKS5Proxy(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	c := smallContent(t)
	bin := braidPath(t)
	n := newProxyNet(t)
	work := t.TempDir()
	dante := socks5test.DanteIn(t, n.in("P"), pnProxyIP+":1080", pnProxyOutIP)
	ms := socks5test.MicrosocksIn(t, n.in("P"), pnProxyIP+":1081", pnProxyOutIP, "braid", "pa55word")
	viaDante, viaMS := "socks5://"+dante.Addr, "socks5://braid:pa55word@"+ms.Addr

	// The servers: braid's tracker (HTTP and UDP on one port) and a web
	// seed (Python's http.server, which logs each client's address).
	startProc(t, "tracker", "", append(n.in("S"), bin, "tracker", "--http", pnServerIP+":6969",
		"--udp", pnServerIP+":6969", "--interval", "120")...)
	n.waitTCP(t, pnServerIP+":6969")
	web := startProc(t, "webseed", c.parent, append(n.in("S"), systemPython, "-m", "http.server", "--bind", pnServerIP, "8000")...)
	n.waitTCP(t, pnServerIP+":8000")
	httpTracker, udpTracker := "http://"+pnServerIP+":6969/announce", "udp://"+pnServerIP+":6969"

	seedDir := filepath.Join(work, "seed")
	c.copyTo(t, seedDir)
	seed := func(name, torrent, port string, extra ...string) *proc {
		argv := append(n.in("S"), bin, "seed", "--dir", seedDir, "--state-dir", filepath.Join(work, name+"-state"),
			"--listen", pnServerIP+":"+port, "--no-dht", "--no-lsd", "--no-port-mapping", "--no-webrtc", "--json", "--quiet")
		p := startProc(t, name, "", append(append(argv, extra...), torrent)...)
		waitBraidSeeding(t, p, c.total, 60*time.Second)
		return p
	}
	mustNotLeak := func(what string) {
		t.Helper()
		require.Zero(t, n.leaked(t), "%s: packets from the client's own address reached the servers", what)
	}

	t.Run("tcp_peer_http_tracker_strict", func(t *testing.T) {
		torrent := filepath.Join(work, "http.torrent")
		meta := createTorrent(t, c, torrent, smallPiece, "--announce", httpTracker)
		seed("seed-http", torrent, "7000")
		n.waitSwarm(t, httpTracker, meta.infoHash, 1)
		dl := filepath.Join(work, "dl-http")
		b := startProxied(t, "braid-http", torrent, dl, viaDante, "--seed")
		ev := b.requireEvent(t, "proxy line", 30*time.Second, isType("proxy"))
		assert.Contains(t, ev.raw, `"strict":true`)
		waitBraidCompleteLine(t, b, 90*time.Second)
		c.requireMatch(t, "braid", dl)
		// Strict: no uTP, DHT or LSD socket, no listener, while it seeds.
		udp, listen := sockets(t, b.cmd.Process.Pid)
		assert.Zero(t, udp, "UDP sockets (uTP, DHT, LSD) in strict mode")
		assert.Zero(t, listen, "listening sockets in strict mode")
		assert.Contains(t, n.trackerPeers(t, httpTracker, meta.infoHash), pnProxyOutIP+":6881",
			"the tracker saw the client at the proxy's address (port 6881, announced; nothing listens)")
		assert.NotContains(t, strings.Join(n.trackerPeers(t, httpTracker, meta.infoHash), " "), pnClientIP)
		assert.Contains(t, dante.Log(), pnClientIP, "danted served the client")
		mustNotLeak("peer and HTTP tracker")
	})

	t.Run("udp_tracker", func(t *testing.T) {
		torrent := filepath.Join(work, "udp.torrent")
		meta := createTorrent(t, c, torrent, smallPiece/2, "--announce", udpTracker)
		seed("seed-udp", torrent, "7001")
		n.waitSwarm(t, httpTracker, meta.infoHash, 1)
		dl := filepath.Join(work, "dl-udp")
		b := startProxied(t, "braid-udp", torrent, dl, viaDante, "--seed") // stays in the swarm
		waitBraidCompleteLine(t, b, 90*time.Second)
		c.requireMatch(t, "braid", dl)
		assert.Contains(t, n.trackerPeers(t, httpTracker, meta.infoHash), pnProxyOutIP+":6881",
			"the UDP tracker saw the client at the relay's address")
		assert.Contains(t, dante.Log(), "udpassociate", "the announces went through the UDP relay")
		mustNotLeak("UDP tracker")
	})

	t.Run("webseed_user_pass", func(t *testing.T) {
		torrent := filepath.Join(work, "web.torrent")
		createTorrent(t, c, torrent, smallPiece*2, "--webseed", "http://"+pnServerIP+":8000/")
		dl := filepath.Join(work, "dl-web")
		b := startProxied(t, "braid-web", torrent, dl, viaMS)
		waitBraidComplete(t, b, 90*time.Second)
		c.requireMatch(t, "braid", dl)
		requests := 0
		for _, line := range web.stderrLines() {
			if strings.Contains(line, `"GET `) {
				requests++
				assert.True(t, strings.HasPrefix(line, pnProxyOutIP+" "), "web seed request not from the proxy: %s", line)
			}
		}
		assert.Positive(t, requests, "the web seed was never asked")
		mustNotLeak("web seed")
	})

	t.Run("websocket_peer", func(t *testing.T) {
		torrent := filepath.Join(work, "ws.torrent")
		createTorrent(t, c, torrent, smallPiece*4) // no tracker: the peer is named
		seed("seed-ws", torrent, "7002", "--ws-listen", pnServerIP+":8081")
		dl := filepath.Join(work, "dl-ws")
		b := startProxied(t, "braid-ws", torrent, dl, viaDante, "--peer", "ws://"+pnServerIP+":8081/")
		ev := waitBraidComplete(t, b, 90*time.Second)
		c.requireMatch(t, "braid", dl)
		t.Logf("ws peer through the proxy: %s", ev.raw)
		mustNotLeak("WebSocket peer")
	})

	t.Run("proxy_down", func(t *testing.T) {
		torrent := filepath.Join(work, "http.torrent") // its seeder and tracker still run
		down := "socks5://" + pnProxyIP + ":1082"      // nothing listens there
		b := startProxied(t, "braid-down", torrent, filepath.Join(work, "dl-down"), down)
		err := b.waitExit(t, 60*time.Second)
		require.Error(t, err, "braid went on without its proxy")
		stderr := strings.Join(b.stderrLines(), "\n")
		assert.Contains(t, stderr, "no tracker reachable")
		assert.Contains(t, stderr, "proxy "+pnProxyIP+":1082")
		errLines := 0
		for _, l := range b.stderrLines() {
			if strings.HasPrefix(l, "braid: ") {
				errLines++
			}
		}
		assert.Equal(t, 1, errLines, "one error line: %s", stderr)
		t.Logf("proxy down: %s", stderr)

		// A peer named on the command line is dialled through the
		// proxy too, or not at all.
		p := startProxied(t, "braid-down-peer", torrent, filepath.Join(work, "dl-down-peer"), down, "--peer", pnServerIP+":7000")
		time.Sleep(5 * time.Second)
		require.False(t, p.exited())
		mustNotLeak("proxy down")
	})

	// The control: without --proxy the same client reaches the servers
	// directly, and the counter sees it (so the checks above can fail).
	t.Run("control_direct", func(t *testing.T) {
		dl := filepath.Join(work, "dl-direct")
		require.NoError(t, os.MkdirAll(dl, 0o755))
		argv := []string{braidPath(t), "download", "--dir", dl, "--state-dir", dl + "-state",
			"--json", "--quiet", "--no-dht", "--no-lsd", "--no-port-mapping", "--no-webrtc"}
		if os.Getenv("BRAID_INTEROP_VERBOSE") != "" {
			argv = append(argv, "--verbose")
		}
		startProc(t, "braid-direct", "", append(argv, filepath.Join(work, "http.torrent"))...)
		require.Eventually(t, func() bool { return n.leaked(t) > 0 }, 30*time.Second, 100*time.Millisecond,
			"a direct download left no trace in the servers' namespace")
	})
}

// startProxied runs `braid download --proxy` here, in C, with nothing else
// turned off: strict mode must do that itself.
func startProxied(t *testing.T, name, torrent, dir, proxy string, extra ...string) *proc {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	argv := []string{braidPath(t), "download", "--dir", dir, "--state-dir", dir + "-state", "--json", "--quiet", "--proxy", proxy}
	if os.Getenv("BRAID_INTEROP_VERBOSE") != "" {
		argv = append(argv, "--verbose")
	}
	return startProc(t, name, "", append(append(argv, extra...), torrent)...)
}

// waitSwarm waits until the tracker lists at least k peers of the torrent.
func (n *proxyNet) waitSwarm(t *testing.T, url, infoHash string, k int) {
	t.Helper()
	ok := waitUntil(30*time.Second, func() bool {
		out, err := n.python(t, announcePy, url, infoHash)
		return err == nil && len(strings.Fields(out)) >= k
	})
	require.True(t, ok, "the tracker never listed %d peers of %s", k, infoHash)
}
