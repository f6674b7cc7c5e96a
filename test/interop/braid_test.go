package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// braidCreate writes a .torrent of src with `braid create`.
func braidCreate(t *testing.T, src, out string, pieceLength int64, announce ...string) string {
	t.Helper()
	argv := []string{"create", "-o", out, "--piece-length", strconv.FormatInt(pieceLength, 10)}
	for _, a := range announce {
		argv = append(argv, "--announce", a)
	}
	argv = append(argv, src)
	res, err := exec.Command(braidPath(t), argv...).CombinedOutput()
	require.NoError(t, err, "braid %s: %s", strings.Join(argv, " "), res)
	return out
}

// makeTorrent writes a .torrent of the content with braid or mktorrent.
func makeTorrent(t *testing.T, creator string, c *content, out string, pieceLength int64, announce ...string) *torrentMeta {
	t.Helper()
	switch creator {
	case "braid":
		braidCreate(t, c.dir(), out, pieceLength, announce...)
	case "mktorrent":
		mktorrent(t, c.dir(), out, pieceLength, announce...)
	default:
		t.Fatalf("unknown torrent creator %q", creator)
	}
	m := readTorrent(t, out)
	m.requireDescribes(t, c, pieceLength)
	return m
}

// braidOpts are the flags of one braid download/seed run.
type braidOpts struct {
	dir      string   // --dir: data lives in dir/<torrent name>
	stateDir string   // --state-dir
	peers    []string // --peer, dialled directly
	seed     bool     // --seed: keep seeding after completion
	extra    []string // more flags
}

// startBraid runs `braid download|seed` with --json on an ephemeral loopback
// port and no DHT, and waits for its "listening" line.
func startBraid(t *testing.T, name, cmd, torrent string, o braidOpts) *proc {
	t.Helper()
	bin := braidPath(t)
	require.NoError(t, os.MkdirAll(o.dir, 0o755))
	require.NoError(t, os.MkdirAll(o.stateDir, 0o755))
	argv := []string{bin, cmd, "--dir", o.dir, "--state-dir", o.stateDir, "--listen", "127.0.0.1:0",
		"--json", "--quiet", "--no-dht", "--stun", "none"}
	for _, p := range o.peers {
		argv = append(argv, "--peer", p)
	}
	if o.seed {
		argv = append(argv, "--seed")
	}
	argv = append(argv, o.extra...)
	if os.Getenv("BRAID_INTEROP_VERBOSE") != "" {
		argv = append(argv, "--verbose") // diagnostics on stderr, shown when a test fails
	}
	argv = append(argv, torrent)
	p := startProc(t, name, "", argv...)
	ev := p.requireEvent(t, name+" listening line", 60*time.Second, isType("listening"))
	require.True(t, strings.HasPrefix(ev.Addr, "127.0.0.1:"), "%s: listening on %q, want 127.0.0.1:PORT", name, ev.Addr)
	return p
}

// braidAddr is the peer-wire address from braid's "listening" line.
func braidAddr(t *testing.T, p *proc) string {
	t.Helper()
	ev, ok := p.lastEvent("listening")
	require.True(t, ok, "%s printed no listening line", p.name)
	return ev.Addr
}

// waitBraidSeeding returns once braid reports every byte verified and seeding.
func waitBraidSeeding(t *testing.T, p *proc, total int64, timeout time.Duration) {
	t.Helper()
	p.requireEvent(t, p.name+" seeding", timeout, func(e event) bool {
		return e.Type == "error" || (e.Type == "progress" && e.State == "seeding" && e.Have == total)
	})
	if ev, bad := p.lastEvent("error"); bad {
		t.Fatalf("%s reported error: %s", p.name, ev.raw)
	}
}

// waitBraidComplete waits for the "complete" line and a clean exit (status 0)
// of a braid download without --seed; an "error" line fails at once.
func waitBraidComplete(t *testing.T, p *proc, timeout time.Duration) event {
	t.Helper()
	ev := p.requireEvent(t, p.name+" complete line", timeout, func(e event) bool {
		return e.Type == "complete" || e.Type == "error"
	})
	require.Equal(t, "complete", ev.Type, "%s: %s", p.name, ev.raw)
	p.requireExitOK(t, 30*time.Second)
	return ev
}

// startBraidTracker runs `braid tracker` on free loopback ports and returns
// its HTTP and UDP announce URLs once both answer.
func startBraidTracker(t *testing.T, interval int) (httpURL, udpURL string) {
	t.Helper()
	hp, up := freePort(t), freePort(t)
	p := startProc(t, "braid-tracker", "", braidPath(t), "tracker", "--http", loopback(hp), "--udp", loopback(up),
		"--interval", strconv.Itoa(interval))
	requireTCPUp(t, p, loopback(hp), 20*time.Second)
	requireUDPTrackerUp(t, p, loopback(up), 20*time.Second)
	return "http://" + loopback(hp) + "/announce", "udp://" + loopback(up)
}

// resumeFile is where braid keeps the resume record of a torrent.
func resumeFile(stateDir, infoHash string) string {
	return filepath.Join(stateDir, infoHash+".resume")
}
