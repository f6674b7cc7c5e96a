//go:build !js

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestDaemonLimitsWithTransmissionRemote drives per-torrent speed limits
// (-d/-u/-D), file priorities (-ph/-pn/-pl), bandwidth priority (-Bh),
// the peer limit (-pr) and tracker edits (-td/-tr) with Debian's
// transmission-remote, reads them back with -i, -f and -it, and finds
// them again after a restart.
func TestDaemonLimitsWithTransmissionRemote(t *testing.T) {
	remote, err := exec.LookPath("transmission-remote")
	require.NoError(t, err, "transmission-remote is needed (Debian package transmission-cli)")
	bin := daemonBinary(t)
	work := t.TempDir()

	maker, err := braid.New(braid.Config{DataDir: filepath.Join(work, "seed"), StateDir: filepath.Join(work, "seed-state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	_, raw, err := maker.Seed(context.Background(), []braid.SeedFile{
		{Path: []string{"one.bin"}, Data: make([]byte, 40_000)},
		{Path: []string{"two.bin"}, Data: make([]byte, 30_000)},
	}, braid.SeedOptions{Name: "pair", PieceLength: 16384})
	require.NoError(t, err)
	require.NoError(t, maker.Close())
	torrentFile := filepath.Join(work, "pair.torrent")
	require.NoError(t, os.WriteFile(torrentFile, raw, 0o644))

	rpcAddr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	args := []string{"--rpc", rpcAddr, "--dir", filepath.Join(work, "data"), "--state-dir", filepath.Join(work, "state"),
		"--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--no-port-mapping", "--no-webrtc"}
	tr := func(a ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, remote, append([]string{rpcAddr}, a...)...).CombinedOutput()
		return string(out), err
	}
	mustTR := func(a ...string) string {
		t.Helper()
		out, err := tr(a...)
		require.NoError(t, err, "transmission-remote %v: %s", a, out)
		return out
	}
	waitUp := func(d *daemonProc) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := tr("-l"); err == nil {
				return
			}
			require.True(t, time.Now().Before(deadline), "the daemon's RPC did not come up; stderr:\n%s", d.stderr.String())
			time.Sleep(100 * time.Millisecond)
		}
	}
	// fileRows maps a file name to its -f row's priority and "Get" columns.
	fileRows := func() map[string]string {
		out := mustTR("-t", "1", "-f")
		rows := map[string]string{}
		re := regexp.MustCompile(`^\s*\d+:\s+\S+\s+(\S+)\s+(\S+)\s+.*\s(\S+)$`)
		for _, l := range strings.Split(out, "\n") {
			if m := re.FindStringSubmatch(l); m != nil {
				rows[filepath.Base(m[3])] = m[1] + " " + m[2]
			}
		}
		return rows
	}
	info := func() string { return mustTR("-t", "1", "-i") }

	d := startDaemon(t, bin, args...)
	waitUp(d)
	require.Contains(t, mustTR("-a", torrentFile), "success")
	require.Equal(t, map[string]string{"one.bin": "Normal Yes", "two.bin": "Normal Yes"}, fileRows())

	require.Contains(t, mustTR("-t", "1", "-d", "50"), "success")
	require.Contains(t, mustTR("-t", "1", "-u", "20"), "success")
	require.Contains(t, mustTR("-t", "1", "-ph", "1"), "success")
	require.Contains(t, mustTR("-t", "1", "-pl", "0"), "success")
	require.Contains(t, mustTR("-t", "1", "-Bh"), "success")
	require.Contains(t, mustTR("-t", "1", "-pr", "9"), "success")
	checkSet := func() {
		t.Helper()
		i := info()
		require.Regexp(t, `Download Limit: 50 kB/s`, i)
		require.Regexp(t, `Upload Limit: 20 kB/s`, i)
		require.Regexp(t, `Bandwidth Priority: High`, i)
		require.Regexp(t, `Peer limit: 9`, i)
		require.Equal(t, map[string]string{"one.bin": "Low Yes", "two.bin": "High Yes"}, fileRows())
	}
	checkSet()

	// A restart keeps every choice.
	d.stop(t)
	d = startDaemon(t, bin, args...)
	waitUp(d)
	checkSet()

	require.Contains(t, mustTR("-t", "1", "-D"), "success")
	require.Contains(t, mustTR("-t", "1", "-pn", "all"), "success")
	require.Contains(t, mustTR("-t", "1", "-G", "0"), "success")
	require.Regexp(t, `Download Limit: Unlimited`, info())
	require.Regexp(t, `Upload Limit: 20 kB/s`, info())
	require.Equal(t, map[string]string{"one.bin": "Normal No", "two.bin": "Normal Yes"}, fileRows())

	// Tracker edits: -td adds (in a tier of its own), -tr removes by id.
	const trA, trB = "http://127.0.0.1:9/announce", "udp://127.0.0.1:9"
	require.Contains(t, mustTR("-t", "1", "-td", trA), "success")
	require.Contains(t, mustTR("-t", "1", "-td", trB), "success")
	trs := mustTR("-t", "1", "-it") // trackerStats: hosts, by id
	require.Contains(t, trs, "Tracker 0: http://127.0.0.1:9")
	require.Contains(t, trs, "Tracker 1: udp://127.0.0.1:9")
	require.Contains(t, trs, "Active in tier 1")
	require.Contains(t, mustTR("-t", "1", "-tr", "0"), "success")
	trs = mustTR("-t", "1", "-it")
	require.NotContains(t, trs, "http://")
	require.Contains(t, trs, "Tracker 0: udp://127.0.0.1:9")
	out, _ := tr("-t", "1", "-td", "gopher://x")
	require.NotContains(t, out, "success")

	// A file number the torrent lacks is refused and changes nothing.
	out, _ = tr("-t", "1", "-ph", "7")
	require.NotContains(t, out, "success")
	require.Equal(t, map[string]string{"one.bin": "Normal No", "two.bin": "Normal Yes"}, fileRows())
	d.stop(t)
}
