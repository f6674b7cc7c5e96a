//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/internal/braidbin"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	buildDir  string
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	// Test mode: a client that would use a public default (STUN, DHT
	// bootstrap) fails to start instead of reaching the internet.
	_ = os.Setenv("BRAID_TEST_OFFLINE", "1")
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// daemonBinary builds bin/braid once for the tests that run it as a process.
func daemonBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := braidbin.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "braid-daemon-test"); buildErr != nil {
			return
		}
		builtBin, buildErr = braidbin.Build(root, buildDir)
	})
	require.NoError(t, buildErr)
	return builtBin
}

// freeLoopbackPort returns a TCP port that was free a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type daemonProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

func startDaemon(t *testing.T, bin string, args ...string) *daemonProc {
	t.Helper()
	if !slices.Contains(args, "--stun") && !slices.Contains(args, "--no-webrtc") {
		args = append([]string{"--stun", "none"}, args...) // no public STUN in tests
	}
	d := &daemonProc{cmd: exec.Command(bin, append([]string{"daemon"}, args...)...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd.Stderr = d.stderr
	require.NoError(t, d.cmd.Start())
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

// stop sends SIGTERM and requires exit status 0.
func (d *daemonProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-d.done:
		require.NoError(t, err, "daemon exit; stderr:\n%s", d.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not exit after SIGTERM; stderr:\n%s", d.stderr.String())
	}
	require.Contains(t, d.stderr.String(), "stopped")
}

// TestDaemonWithTransmissionRemote drives `braid daemon` with Debian's
// transmission-remote: add a torrent a Braid seeder serves, list it until
// complete, stop it, restart the daemon (still stopped, data intact),
// start it, remove it with its data.
func TestDaemonWithTransmissionRemote(t *testing.T) {
	remote, err := exec.LookPath("transmission-remote")
	require.NoError(t, err, "transmission-remote is needed (Debian package transmission-cli)")
	work := t.TempDir()
	bin := daemonBinary(t)

	// A Braid seeder on loopback.
	seedDir := filepath.Join(work, "seed")
	seeder, err := braid.New(braid.Config{DataDir: seedDir, StateDir: filepath.Join(work, "seed-state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	defer seeder.Close()
	content := make([]byte, 600_000)
	_, _ = rand.Read(content)
	_, raw, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"payload.bin"}, Data: content}},
		braid.SeedOptions{Name: "payload.bin", PieceLength: 32768})
	require.NoError(t, err)
	torrentFile := filepath.Join(work, "payload.torrent")
	require.NoError(t, os.WriteFile(torrentFile, raw, 0o644))

	dataDir, stateDir := filepath.Join(work, "data"), filepath.Join(work, "state")
	port := freeLoopbackPort(t)
	rpcAddr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"--rpc", rpcAddr, "--dir", dataDir, "--state-dir", stateDir, "--listen", "127.0.0.1:0",
		"--no-dht", "--stun", "none", "--no-port-mapping", "--no-webrtc", "--peer", seeder.ListenAddr()}

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
	waitList := func(d *daemonProc, what string, ok func(line string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := tr("-l")
			if err == nil {
				for _, line := range strings.Split(out, "\n") {
					if f := strings.Fields(line); len(f) > 0 && f[0] == "1" && ok(line) {
						return line
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: last list:\n%s\n(err %v)\ndaemon stderr:\n%s", what, out, err, d.stderr.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitUp := func(d *daemonProc) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := tr("-l"); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the daemon's RPC did not come up; stderr:\n%s", d.stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	d := startDaemon(t, bin, args...)
	waitUp(d)
	require.Contains(t, mustTR("-a", torrentFile), "success")
	line := waitList(d, "completion", func(l string) bool { return strings.Contains(l, "100%") })
	require.Contains(t, line, "payload.bin")
	got, err := os.ReadFile(filepath.Join(dataDir, "payload.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(content, got), "downloaded data matches")

	require.Contains(t, mustTR("-t", "1", "-S"), "success")
	waitList(d, "stopped", func(l string) bool { return strings.Contains(l, "Stopped") })
	d.stop(t)

	d = startDaemon(t, bin, args...)
	waitUp(d)
	line = waitList(d, "the torrent after restart", func(string) bool { return true })
	require.Contains(t, line, "Stopped", "still stopped after a restart")
	require.Contains(t, line, "100%")
	require.Contains(t, line, "payload.bin")
	got, err = os.ReadFile(filepath.Join(dataDir, "payload.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(content, got), "data intact after the restart")

	require.Contains(t, mustTR("-t", "1", "-s"), "success")
	waitList(d, "seeding", func(l string) bool { return !strings.Contains(l, "Stopped") && strings.Contains(l, "100%") })

	require.Contains(t, mustTR("-t", "1", "--remove-and-delete"), "success")
	out := mustTR("-l")
	require.NotContains(t, out, "payload.bin")
	require.NoFileExists(t, filepath.Join(dataDir, "payload.bin"))
	d.stop(t)
}

func TestDaemonRefusesOpenRPCWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BRAID_RPC_USERNAME", "")
	t.Setenv("BRAID_RPC_PASSWORD", "")
	code, _, stderr := runCLI(t, "", "daemon", "--rpc", "0.0.0.0:0", "--state-dir", filepath.Join(dir, "state"),
		"--dir", dir, "--no-dht", "--stun", "none", "--listen", "127.0.0.1:0")
	require.Equal(t, exitUsage, code, stderr)
	require.Contains(t, stderr, "rpc-username")
	require.NoDirExists(t, filepath.Join(dir, "state"), "nothing started")

	code, _, stderr = runCLI(t, "", "daemon", "stray")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "unexpected argument")
}

// TestDaemonCredentials: a username from the settings file and a password
// from the environment are required of every client.
func TestDaemonCredentials(t *testing.T) {
	remote, err := exec.LookPath("transmission-remote")
	require.NoError(t, err, "transmission-remote is needed (Debian package transmission-cli)")
	bin := daemonBinary(t)
	work := t.TempDir()
	settings := filepath.Join(work, "settings.json")
	require.NoError(t, os.WriteFile(settings, []byte(`{"rpc-username":"alice"}`), 0o600))
	rpcAddr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	d := &daemonProc{cmd: exec.Command(bin, "daemon", "--rpc", rpcAddr, "--config", settings, "--dir", work,
		"--state-dir", filepath.Join(work, "state"), "--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--no-port-mapping"),
		stderr: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd.Env = append(os.Environ(), "BRAID_RPC_PASSWORD=pw-from-env")
	d.cmd.Stderr = d.stderr
	require.NoError(t, d.cmd.Start())
	go func() { d.done <- d.cmd.Wait() }()
	defer func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
		}
	}()
	tr := func(a ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, remote, append([]string{rpcAddr}, a...)...).CombinedOutput()
		return string(out), err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := tr("-n", "alice:pw-from-env", "-l")
		if err == nil {
			require.Contains(t, out, "Sum:")
			break
		}
		require.True(t, time.Now().Before(deadline), "RPC not up: %s\n%s", out, d.stderr.String())
		time.Sleep(100 * time.Millisecond)
	}
	out, err := tr("-l")
	require.Error(t, err, "no credentials: %s", out)
	require.Contains(t, out, "401")
	out, err = tr("-n", "alice:wrong", "-l")
	require.Error(t, err, "wrong password: %s", out)
	require.Contains(t, out, "401")
	d.stop(t)
}

// TestDaemonWatchDir: with --watch, a good .torrent dropped in the
// directory is added (listed by transmission-remote) and renamed .added;
// a bad one is renamed .invalid and the reason logged. A missing watch
// directory is refused at start.
func TestDaemonWatchDir(t *testing.T) {
	remote, err := exec.LookPath("transmission-remote")
	require.NoError(t, err, "transmission-remote is needed (Debian package transmission-cli)")
	bin := daemonBinary(t)
	work := t.TempDir()
	watch := filepath.Join(work, "watch")
	require.NoError(t, os.MkdirAll(watch, 0o755))

	code, _, stderr := runCLI(t, "", "daemon", "--watch", filepath.Join(work, "missing"), "--state-dir", filepath.Join(work, "s0"),
		"--dir", work, "--no-dht", "--stun", "none", "--listen", "127.0.0.1:0", "--rpc", "127.0.0.1:0")
	require.Equal(t, exitUsage, code, stderr)
	require.Contains(t, stderr, "not a directory")

	seeder, err := braid.New(braid.Config{DataDir: filepath.Join(work, "seed"), StateDir: filepath.Join(work, "seed-state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	defer seeder.Close()
	_, raw, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"dropped.bin"}, Data: bytes.Repeat([]byte("d"), 50_000)}},
		braid.SeedOptions{Name: "dropped.bin", PieceLength: 16384})
	require.NoError(t, err)

	rpcAddr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	d := startDaemon(t, bin, "--rpc", rpcAddr, "--dir", filepath.Join(work, "data"), "--state-dir", filepath.Join(work, "state"),
		"--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--no-port-mapping", "--no-webrtc", "--watch", watch)
	require.NoError(t, os.WriteFile(filepath.Join(watch, "good.torrent"), raw, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(watch, "bad.torrent"), []byte("d4:junk"), 0o644))
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, e1 := os.Stat(filepath.Join(watch, "good.torrent.added"))
		_, e2 := os.Stat(filepath.Join(watch, "bad.torrent.invalid"))
		if e1 == nil && e2 == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "files not renamed; stderr:\n%s", d.stderr.String())
		time.Sleep(100 * time.Millisecond)
	}
	require.Contains(t, d.stderr.String(), "bad.torrent")
	require.Contains(t, d.stderr.String(), "reason=")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, remote, rpcAddr, "-l").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "dropped.bin")
	d.stop(t)
}
