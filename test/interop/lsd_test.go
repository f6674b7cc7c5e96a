//go:build linux

package interop

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/netnstest"
	"github.com/stretchr/testify/require"
)

// TestLSDDiscovery: with no tracker, no DHT and no peer named, Braid and
// libtorrent (local service discovery on) find each other by BEP 14
// multicast alone and the download completes, both ways. It runs in a
// network namespace the test makes (unshare -rn; see netnstest), so
// nothing is multicast on the host's interfaces; it fails when no
// namespace can be made.
func TestLSDDiscovery(t *testing.T) {
	if !netnstest.Enter(t) {
		return
	}
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	seed := filepath.Join(work, "seed")
	c.copyTo(t, seed)
	t1, t2 := filepath.Join(work, "t1.torrent"), filepath.Join(work, "t2.torrent")
	createTorrent(t, c, t1, smallPiece) // no announce URL: trackerless
	createTorrent(t, c, t2, smallPiece/2)

	// libtorrent seeds, Braid downloads.
	startLTLAN(t, "libtorrent-lsd-seed", "seed", t1, seed)
	mark := time.Now()
	d := startBraidLAN(t, "braid-lsd-download", "download", t1, filepath.Join(work, "braid"))
	waitBraidComplete(t, d, 60*time.Second)
	recordTiming(t, "lsd: braid found libtorrent and completed", time.Since(mark))
	c.requireMatch(t, "braid", filepath.Join(work, "braid"))

	// Braid seeds, libtorrent downloads.
	s := startBraidLAN(t, "braid-lsd-seed", "seed", t2, seed)
	waitBraidSeeding(t, s, c.total, 30*time.Second)
	mark = time.Now()
	lt := startLTLAN(t, "libtorrent-lsd-leech", "leech", t2, filepath.Join(work, "lt"))
	lt.waitComplete(t, 60*time.Second)
	recordTiming(t, "lsd: libtorrent found braid and completed", time.Since(mark))
	c.requireMatch(t, "libtorrent", filepath.Join(work, "lt"))
}

// startBraidLAN runs braid on the namespace's LAN address (not loopback:
// LSD runs only there), with no DHT and no peer named.
func startBraidLAN(t *testing.T, name, cmd, src, dir string) *proc {
	t.Helper()
	state := dir + "-state"
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.MkdirAll(state, 0o755))
	argv := []string{braidPath(t), cmd, "--dir", dir, "--state-dir", state, "--listen", netnstest.Addr4 + ":0",
		"--no-dht", "--no-webrtc", "--no-port-mapping", "--json", "--quiet"}
	if os.Getenv("BRAID_INTEROP_VERBOSE") != "" {
		argv = append(argv, "--verbose")
	}
	p := startProc(t, name, "", append(argv, src)...)
	ev := p.requireEvent(t, name+" listening line", 60*time.Second, isType("listening"))
	require.True(t, strings.HasPrefix(ev.Addr, netnstest.Addr4+":"), "%s: listening on %q", name, ev.Addr)
	return p
}

// startLTLAN runs lt_peer.py with local service discovery on, listening
// on the namespace's LAN address, and waits for its "ready" line.
func startLTLAN(t *testing.T, name, mode, src, parent string) *peer {
	t.Helper()
	requireClient(t, libtorrent)
	require.NoError(t, os.MkdirAll(parent, 0o755))
	p := &peer{kind: libtorrent, port: freePort(t), parent: parent, started: time.Now()}
	script := filepath.Join(suite.repoRoot, "test", "interop", "peers", "lt_peer.py")
	addr := net.JoinHostPort(netnstest.Addr4, strconv.Itoa(p.port))
	p.proc = startProc(t, name, "", systemPython, "-u", script, mode, src, parent, "--listen", addr, "--lsd")
	p.proc.requireEvent(t, name+" ready", 30*time.Second, isType("ready"))
	return p
}
