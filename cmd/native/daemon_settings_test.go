//go:build !js

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDaemonSettingsFile: the settings file is read at start (session
// keys included), transmission-remote's session changes rewrite it with
// unknown keys kept as they were, and a restart reads them back.
func TestDaemonSettingsFile(t *testing.T) {
	bin := daemonBinary(t)
	work := t.TempDir()
	settings := filepath.Join(work, "settings.json")
	require.NoError(t, os.WriteFile(settings, []byte(`{"download-queue-size": 3, "custom-key": {"kept": [1, 2]}, "script-torrent-done-enabled": false}`), 0o600))
	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	args := []string{"--rpc", addr, "--config", settings, "--dir", filepath.Join(work, "data"), "--state-dir", filepath.Join(work, "state"),
		"--listen", "127.0.0.1:0", "--no-dht", "--no-port-mapping", "--no-webrtc"}
	d := startDaemon(t, bin, args...)
	r := newRemote(t, addr)
	r.waitUp(d)
	c := &rpcClient{url: "http://" + addr + "/transmission/rpc"}
	var sg map[string]any
	require.Equal(t, "success", c.call(t, "session-get", nil, &sg))
	require.EqualValues(t, 3, sg["download-queue-size"])
	require.Equal(t, true, sg["start-added-torrents"])

	r.must("--start-paused")
	r.must("-gsr", "1.5")
	r.must("-w", filepath.Join(work, "elsewhere"))
	r.must("-d", "300")
	r.must("-u", "40")
	r.must("-asd", "9", "-asu", "8")
	r.must("-as")
	sg = nil
	require.Equal(t, "success", c.call(t, "session-get", nil, &sg))
	require.EqualValues(t, 300, sg["speed-limit-down"])
	require.Equal(t, true, sg["speed-limit-down-enabled"])
	require.EqualValues(t, 40, sg["speed-limit-up"])
	require.Equal(t, true, sg["alt-speed-enabled"])
	require.EqualValues(t, 9, sg["alt-speed-down"])
	r.must("-AS")
	r.must("-D")
	data, err := os.ReadFile(settings)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	require.Equal(t, false, m["start-added-torrents"])
	require.Equal(t, 1.5, m["seedRatioLimit"])
	require.Equal(t, true, m["seedRatioLimited"])
	require.Equal(t, filepath.Join(work, "elsewhere"), m["download-dir"])
	require.Equal(t, map[string]any{"kept": []any{1.0, 2.0}}, m["custom-key"], "unknown keys are kept")
	require.EqualValues(t, 3, m["download-queue-size"])
	fi, err := os.Stat(settings)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	d.stop(t)

	// Without --dir, the settings file's download-dir applies.
	d = startDaemon(t, bin, append(args[:4:4], args[6:]...)...)
	r.waitUp(d)
	sg = nil
	require.Equal(t, "success", c.call(t, "session-get", nil, &sg))
	require.Equal(t, false, sg["start-added-torrents"])
	require.Equal(t, 1.5, sg["seedRatioLimit"])
	require.Equal(t, filepath.Join(work, "elsewhere"), sg["download-dir"])
	d.stop(t)
}

// TestDaemonBadSettingsFile: a settings file that is not JSON, or holds a
// bad value, is one clear error line at start; nothing starts.
func TestDaemonBadSettingsFile(t *testing.T) {
	work := t.TempDir()
	for _, tc := range []struct{ body, want string }{
		{`not json`, "settings.json"},
		{`{"download-queue-size": "five"}`, `"download-queue-size"`},
		{`{"seedRatioLimit": -1}`, `"seedRatioLimit"`},
		{`{"start-added-torrents": "yes"}`, `"start-added-torrents"`},
		{`{"incomplete-dir": "relative"}`, `"incomplete-dir"`},
		{`{"download-dir": 5}`, "download-dir"},
		{`[1]`, "settings.json"},
	} {
		settings := filepath.Join(work, "settings.json")
		require.NoError(t, os.WriteFile(settings, []byte(tc.body), 0o600))
		state := filepath.Join(work, "state")
		code, _, stderr := runCLI(t, "", "daemon", "--config", settings, "--state-dir", state, "--dir", work,
			"--no-dht", "--stun", "none", "--listen", "127.0.0.1:0", "--rpc", "127.0.0.1:0")
		require.Equal(t, exitFailure, code, tc.body)
		require.Contains(t, stderr, tc.want, tc.body)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		require.NoDirExists(t, state, "nothing started")
	}
}

// TestDaemonPasswordFile: the password from --rpc-password-file is
// required of clients; a missing or empty file is refused at start, and
// a non-loopback --rpc without a password too.
func TestDaemonPasswordFile(t *testing.T) {
	bin := daemonBinary(t)
	work := t.TempDir()
	t.Setenv("BRAID_RPC_USERNAME", "")
	t.Setenv("BRAID_RPC_PASSWORD", "")
	pwFile := filepath.Join(work, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("from-file\nignored\n"), 0o600))
	empty := filepath.Join(work, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	base := []string{"daemon", "--state-dir", filepath.Join(work, "s0"), "--dir", work, "--no-dht", "--stun", "none", "--listen", "127.0.0.1:0"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rpc", "127.0.0.1:0", "--rpc-password-file", filepath.Join(work, "missing")}, "--rpc-password-file"},
		{[]string{"--rpc", "127.0.0.1:0", "--rpc-password-file", empty}, "empty first line"},
		{[]string{"--rpc", "127.0.0.1:0", "--rpc-password-file", pwFile}, "set both rpc-username and rpc-password"},
		{[]string{"--rpc", "0.0.0.0:0"}, "reachable from other machines"},
		{[]string{"--rpc", "[::]:0"}, "reachable from other machines"},
		{[]string{"--rpc", "0.0.0.0:0", "--rpc-password", "x"}, "not defined: -rpc-password"},
	} {
		code, _, stderr := runCLI(t, "", append(base, tc.args...)...)
		require.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
		require.NoDirExists(t, filepath.Join(work, "s0"))
	}

	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	settings := filepath.Join(work, "settings.json")
	require.NoError(t, os.WriteFile(settings, []byte(`{"rpc-username":"bob"}`), 0o600))
	d := startDaemon(t, bin, "--rpc", addr, "--config", settings, "--rpc-password-file", pwFile, "--dir", work,
		"--state-dir", filepath.Join(work, "state"), "--listen", "127.0.0.1:0", "--no-dht", "--no-port-mapping")
	r := newRemote(t, addr)
	deadline := 200
	for {
		out, err := r.try("-n", "bob:from-file", "-l")
		if err == nil {
			require.Contains(t, out, "Sum:")
			break
		}
		deadline--
		require.Positive(t, deadline, "RPC not up: %s\n%s", out, d.stderr.String())
		sleepBrief()
	}
	out, err := r.try("-n", "bob:ignored", "-l")
	require.Error(t, err, out)
	require.Contains(t, out, "401")
	_, err = exec.LookPath("transmission-remote")
	require.NoError(t, err)
	d.stop(t)
}

func sleepBrief() { time.Sleep(100 * time.Millisecond) }
