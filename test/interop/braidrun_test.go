package interop

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// braidRun is one `braid download|seed` of the magnet, DHT, PEX and web seed
// tests: braidOpts plus the flags those need. The DHT is off (--no-dht)
// unless dhtBootstrap names local nodes, so no test ever asks the public
// routers.
type braidRun struct {
	braidOpts
	listen       string   // --listen; "" means 127.0.0.1:0
	dhtBootstrap []string // --dht-bootstrap, loopback only; empty: --no-dht
	uploadRate   string   // --upload-rate
}

// startBraidRun starts braid on src (a .torrent path or a magnet URI) and
// waits for its "listening" line.
func startBraidRun(t *testing.T, name, cmd, src string, r braidRun) *proc {
	t.Helper()
	bin := braidPath(t)
	require.NoError(t, os.MkdirAll(r.dir, 0o755))
	require.NoError(t, os.MkdirAll(r.stateDir, 0o755))
	listen := r.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	argv := []string{bin, cmd, "--dir", r.dir, "--state-dir", r.stateDir, "--listen", listen, "--json", "--quiet", "--stun", "none"}
	if len(r.dhtBootstrap) == 0 {
		argv = append(argv, "--no-dht")
	} else {
		for _, n := range r.dhtBootstrap {
			host, _, err := net.SplitHostPort(n)
			require.NoError(t, err, "DHT bootstrap node %q", n)
			require.Equal(t, "127.0.0.1", host, "DHT bootstrap nodes of a test must be local")
		}
		argv = append(argv, "--dht-bootstrap", strings.Join(r.dhtBootstrap, ","))
	}
	for _, p := range r.peers {
		argv = append(argv, "--peer", p)
	}
	if r.seed {
		argv = append(argv, "--seed")
	}
	if r.uploadRate != "" {
		argv = append(argv, "--upload-rate", r.uploadRate)
	}
	if os.Getenv("BRAID_INTEROP_VERBOSE") != "" {
		argv = append(argv, "--verbose")
	}
	argv = append(argv, src)
	p := startProc(t, name, "", argv...)
	ev := p.requireEvent(t, name+" listening line", 60*time.Second, isType("listening"))
	require.True(t, strings.HasPrefix(ev.Addr, "127.0.0.1:"), "%s: listening on %q, want 127.0.0.1:PORT", name, ev.Addr)
	return p
}

// waitBraidCompleteLine waits for the "complete" line of a braid that keeps
// running afterwards (--seed); an "error" line fails at once.
func waitBraidCompleteLine(t *testing.T, p *proc, timeout time.Duration) event {
	t.Helper()
	ev := p.requireEvent(t, p.name+" complete line", timeout, func(e event) bool {
		return e.Type == "complete" || e.Type == "error"
	})
	require.Equal(t, "complete", ev.Type, "%s: %s", p.name, ev.raw)
	return ev
}

// maxPeers is the largest peer count braid's progress lines have shown.
func maxPeers(p *proc) int {
	n := 0
	for _, e := range p.events() {
		if e.Type == "progress" {
			n = max(n, e.Peers)
		}
	}
	return n
}

// createTorrent runs `braid create` on the content with extra flags
// (--announce, --webseed) and checks that the result describes it.
func createTorrent(t *testing.T, c *content, out string, pieceLength int64, flags ...string) *torrentMeta {
	t.Helper()
	argv := append([]string{"create", "-o", out, "--piece-length", strconv.FormatInt(pieceLength, 10)}, flags...)
	argv = append(argv, c.dir())
	res, err := exec.Command(braidPath(t), argv...).CombinedOutput()
	require.NoError(t, err, "braid %s: %s", strings.Join(argv, " "), res)
	m := readTorrent(t, out)
	m.requireDescribes(t, c, pieceLength)
	return m
}

// magnetURI builds a BEP 9 magnet: xt from the info hash, then the given
// key/value pairs in order (values are query-escaped; x.pe and so are
// written as they are, as clients write them).
func magnetURI(infoHash string, kv ...string) string {
	var sb strings.Builder
	sb.WriteString("magnet:?xt=urn:btih:" + infoHash)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if kv[i] != "x.pe" && kv[i] != "so" {
			v = url.QueryEscape(v)
		}
		sb.WriteString("&" + kv[i] + "=" + v)
	}
	return sb.String()
}

// startLTPeer runs lt_peer.py on src (a .torrent or, for leech, a magnet)
// with extra driver flags, and waits for its "ready" line.
func startLTPeer(t *testing.T, name, mode, src, parent string, flags ...string) *peer {
	t.Helper()
	requireClient(t, libtorrent)
	require.NoError(t, os.MkdirAll(parent, 0o755))
	p := &peer{kind: libtorrent, port: freePort(t), parent: parent, started: time.Now()}
	script := filepath.Join(suite.repoRoot, "test", "interop", "peers", "lt_peer.py")
	argv := append([]string{systemPython, "-u", script, mode, src, parent, "--listen", p.addr()}, flags...)
	p.proc = startProc(t, name, "", argv...)
	p.proc.requireEvent(t, name+" ready", 30*time.Second, isType("ready"))
	return p
}

// ltHave is the payload a libtorrent driver last reported having.
func ltHave(p *peer) int64 {
	ev, _ := p.proc.lastEvent("progress")
	return ev.Have
}
