//go:build !js

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// runCLI runs the command in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadInputGivesOneLineAndExitCode(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.torrent")
	require.NoError(t, os.WriteFile(garbage, []byte("not a torrent"), 0o644))
	badList := filepath.Join(dir, "list.p2p")
	require.NoError(t, os.WriteFile(badList, []byte("# list\nok:1.2.3.4-1.2.3.5\nbad:1.2.3.4\n"), 0o644))
	unsafe := filepath.Join(dir, "unsafe.torrent")
	// A multi-file torrent whose file path climbs out of the download dir.
	require.NoError(t, os.WriteFile(unsafe, []byte("d4:infod5:filesld6:lengthi5e4:pathl2:..4:evileee4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"), 0o644))
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing file", []string{"download", "--stun", "none", "--no-dht", "--listen", "127.0.0.1:0", "--dir", dir, "--state-dir", dir, filepath.Join(dir, "nope.torrent")}, exitFailure, "no such file"},
		{"malformed", []string{"download", "--stun", "none", "--no-dht", "--listen", "127.0.0.1:0", "--dir", dir, "--state-dir", dir, garbage}, exitFailure, "invalid torrent"},
		{"unsafe path", []string{"download", "--stun", "none", "--no-dht", "--listen", "127.0.0.1:0", "--dir", dir, "--state-dir", dir, unsafe}, exitFailure, "unsafe"},
		{"info malformed", []string{"info", garbage}, exitFailure, "invalid torrent"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"download", "--frob", "x"}, exitUsage, "flag provided but not defined"},
		{"no torrent", []string{"download"}, exitUsage, "want exactly one torrent"},
		{"bad encryption", []string{"download", "--encryption", "maybe", garbage}, exitUsage, "--encryption"},
		{"peer without port", []string{"download", "--peer", "10.0.0.1", garbage}, exitUsage, "--peer"},
		{"uTP peer bad port", []string{"download", "--peer", "utp://10.0.0.1:0", garbage}, exitUsage, "want 1-65535"},
		{"bad download rate", []string{"download", "--download-rate", "fast", garbage}, exitUsage, "--download-rate"},
		{"create without -o", []string{"create", dir}, exitUsage, "-o OUT is required"},
		{"create bad piece length", []string{"create", "-o", filepath.Join(dir, "x.torrent"), "--piece-length", "lots", dir}, exitUsage, "piece-length"},
		{"tracker bad interval", []string{"tracker", "--interval", "0"}, exitUsage, "interval"},
		{"malformed blocklist", []string{"download", "--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--dir", dir, "--state-dir", dir,
			"--blocklist", badList, garbage}, exitUsage, "blocklist line 3: "},
		{"missing blocklist", []string{"download", "--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--dir", dir, "--state-dir", dir,
			"--blocklist", filepath.Join(dir, "nope.p2p"), garbage}, exitUsage, "no such file"},
		{"proxy not socks5", []string{"download", "--proxy", "http://10.0.0.1:8080", garbage}, exitUsage, "--proxy: socks5: bad proxy URL"},
		{"proxy bad port", []string{"seed", "--proxy", "socks5://10.0.0.1:99999", garbage}, exitUsage, "port 99999 is not 1-65535"},
		{"proxy half credentials", []string{"download", "--proxy", "socks5://alice@10.0.0.1:1080", garbage}, exitUsage, "user and password"},
		{"proxy with ws-listen", []string{"download", "--proxy", "socks5://10.0.0.1:1080", "--ws-listen", "127.0.0.1:0", garbage}, exitUsage, "--ws-listen would take peers around --proxy"},
		{"allow-direct without proxy", []string{"download", "--proxy-allow-direct", garbage}, exitUsage, "needs --proxy"},
		{"loop bad proxy", []string{"--proxy", "socks5://", "--state-dir", dir}, exitUsage, "no host"},
		{"daemon bad proxy", []string{"daemon", "--proxy", "socks4://10.0.0.1:1080"}, exitUsage, "scheme socks4 is not socks5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tc.args...)
			require.Equal(t, tc.code, code, stderr)
			require.Contains(t, stderr, tc.msg)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "exactly one line: %q", stderr)
			require.NotContains(t, stderr, "goroutine", "no stack traces")
		})
	}
}

func TestCreateAndInfo(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "share")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.txt"), bytes.Repeat([]byte("a"), 100_000), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "sub", "b.txt"), []byte("bee"), 0o644))
	out := filepath.Join(dir, "share.torrent")
	code, stdout, stderr := runCLI(t, "", "create", "-o", out, "--announce", "http://127.0.0.1:1/announce",
		"--piece-length", "32KiB", "--webseed", "http://127.0.0.1:2/", src)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "created")
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "a .torrent others may read, as cp would make it")
	leftovers, err := filepath.Glob(filepath.Join(dir, "*tmp*"))
	require.NoError(t, err)
	require.Empty(t, leftovers)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	mi, err := metainfo.Parse(data)
	require.NoError(t, err)
	require.Equal(t, "share", mi.Info.Name)
	require.Equal(t, int64(32<<10), mi.Info.PieceLength)
	require.Len(t, mi.Info.Files, 2)
	require.Equal(t, []string{"sub", "b.txt"}, mi.Info.Files[1].Path)
	require.Equal(t, [][]string{{"http://127.0.0.1:1/announce"}}, mi.Tiers())
	require.Equal(t, []string{"http://127.0.0.1:2/"}, mi.URLList)

	code, stdout, _ = runCLI(t, "", "info", out)
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "share/sub/b.txt")
	require.Contains(t, stdout, "pieces:       4 ×")
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"262144": 262144, "256KiB": 262144, "256k": 262144, "1MiB": 1 << 20, "2m": 2 << 20} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "-1", "0", "abc", "1.5MiB"} {
		_, err := parseSize(bad)
		require.Error(t, err, bad)
	}
}

func TestInteractiveLoop(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "share")
	require.NoError(t, os.MkdirAll(src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.bin"), bytes.Repeat([]byte{7}, 70_000), 0o644))
	tor := filepath.Join(dir, "s.torrent")
	code, _, stderr := runCLI(t, "", "create", "-o", tor, src)
	require.Equal(t, exitOK, code, stderr)
	// The loop keeps its state under the working directory, like the CLI.
	wd, _ := os.Getwd()
	require.NoError(t, os.Chdir(dir))
	defer os.Chdir(wd)
	script := strings.Join([]string{"help", "add " + tor, "list", "stats 1 name progress", "files 1",
		"stats 9", "bogus", "stop 1", "list", "quit"}, "\n") + "\n"
	code, stdout, stderr := runCLI(t, script, "--no-dht", "--stun", "none", "--listen", "127.0.0.1:0")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "added share")
	require.Contains(t, stdout, "share/a.bin")
	require.Contains(t, stdout, "name         share\n")
	require.Contains(t, stdout, "stopped; state saved")
	require.Contains(t, stderr, "no torrent number 9")
	require.Contains(t, stderr, `unknown command "bogus"`)
	entries, err := os.ReadDir(filepath.Join(dir, ".braid", "state"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "stop wrote a resume record")
}

func TestCheckPeerAddr(t *testing.T) {
	for _, ok := range []string{"10.0.0.1:6881", "[::1]:6881", "example.org:1", "utp://10.0.0.1:6881", "UTP://[::1]:65535", "ws://127.0.0.1:8080/", "wss://x.example/peer"} {
		require.NoError(t, checkPeerAddr(ok), ok)
	}
	for _, bad := range []string{"", "10.0.0.1", ":6881", "10.0.0.1:x", "10.0.0.1:70000", "utp://", "utp://10.0.0.1", "tcp://10.0.0.1:1"} {
		require.Error(t, checkPeerAddr(bad), bad)
	}
}

// --only takes BEP 53 lists and refuses what the torrent does not have,
// in one line, before any download starts.
func TestOnlyFlag(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "share")
	require.NoError(t, os.MkdirAll(src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("aaa"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "b.txt"), []byte("bbb"), 0o644))
	tor := filepath.Join(dir, "share.torrent")
	code, _, stderr := runCLI(t, "", "create", "-o", tor, src)
	require.Equal(t, exitOK, code, stderr)
	base := []string{"download", "--listen", "127.0.0.1:0", "--no-dht", "--stun", "none", "--no-webrtc", "--dir", dir, "--state-dir", filepath.Join(dir, "state")}
	for _, tc := range []struct {
		only string
		code int
		msg  string
	}{
		{"x", exitUsage, "--only: file index \"x\" is not a number"},
		{"3-1", exitUsage, "reversed"},
		{"", exitUsage, "--only"},
		{"0,5", exitFailure, "no such file in the torrent: file 5 (it has 2"},
	} {
		code, _, stderr := runCLI(t, "", append(base, "--only", tc.only, tor)...)
		require.Equal(t, tc.code, code, "--only %q: %s", tc.only, stderr)
		require.Contains(t, stderr, tc.msg)
		require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	}
}
