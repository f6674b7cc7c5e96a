//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// rpcClient speaks the RPC directly (for fields transmission-remote 3.00
// does not print), with the session-id handshake.
type rpcClient struct {
	url, id string
}

func (c *rpcClient) call(t *testing.T, method string, args any, out any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"method": method, "arguments": args})
	require.NoError(t, err)
	for range 2 {
		req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Transmission-Session-Id", c.id)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusConflict {
			c.id = resp.Header.Get("X-Transmission-Session-Id")
			continue
		}
		require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
		var a struct {
			Result    string          `json:"result"`
			Arguments json.RawMessage `json:"arguments"`
		}
		require.NoError(t, json.Unmarshal(raw, &a), string(raw))
		if out != nil && a.Result == "success" {
			require.NoError(t, json.Unmarshal(a.Arguments, out), string(raw))
		}
		return a.Result
	}
	t.Fatal("no session id")
	return ""
}

// torrents is torrent-get of fields for every torrent, by id.
func (c *rpcClient) torrents(t *testing.T, fields ...string) map[int]map[string]any {
	t.Helper()
	var out struct {
		Torrents []map[string]any `json:"torrents"`
	}
	require.Equal(t, "success", c.call(t, "torrent-get", map[string]any{"fields": append(fields, "id")}, &out))
	m := map[int]map[string]any{}
	for _, tr := range out.Torrents {
		m[int(tr["id"].(float64))] = tr
	}
	return m
}

// remoteHarness runs transmission-remote against one daemon address.
type remoteHarness struct {
	t      *testing.T
	remote string
	addr   string
}

func newRemote(t *testing.T, addr string) *remoteHarness {
	remote, err := exec.LookPath("transmission-remote")
	require.NoError(t, err, "transmission-remote is needed (Debian package transmission-cli)")
	return &remoteHarness{t: t, remote: remote, addr: addr}
}

func (r *remoteHarness) try(a ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, r.remote, append([]string{r.addr}, a...)...).CombinedOutput()
	return string(out), err
}

func (r *remoteHarness) must(a ...string) string {
	r.t.Helper()
	out, err := r.try(a...)
	require.NoError(r.t, err, "transmission-remote %v: %s", a, out)
	require.Contains(r.t, out, "success", "transmission-remote %v", a)
	return out
}

// listLine is the -l line of torrent id ("" if not listed).
func (r *remoteHarness) listLine(id int) string {
	out, err := r.try("-l")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.TrimSuffix(f[0], "*") == strconv.Itoa(id) {
			return line
		}
	}
	return ""
}

func (r *remoteHarness) waitUp(d *daemonProc) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := r.try("-l"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the daemon's RPC did not come up; stderr:\n%s", d.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *remoteHarness) waitLine(d *daemonProc, id int, what string, ok func(string) bool) string {
	r.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		line := r.listLine(id)
		if line != "" && ok(line) {
			return line
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waiting for torrent %d %s: last line %q\ndaemon stderr:\n%s", id, what, line, d.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// killHard ends the daemon with SIGKILL: nothing is saved on the way out.
func (d *daemonProc) killHard(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not die on SIGKILL")
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestDaemonSurvivesKill9: transmission-remote adds a torrent by file
// (one file unwanted with -G, labels with -L) and two by magnet (one
// completed then stopped with -S, one added while --start-paused is the
// session's setting); the daemon is killed with SIGKILL in the middle of
// the first torrent's download. After a restart the list, the states
// (paused stays paused), labels, file choices, seed ratio (-sr), queue
// order and data are as before, and no piece that was verified before the
// kill is missing.
func TestDaemonSurvivesKill9(t *testing.T) {
	work := t.TempDir()
	bin := daemonBinary(t)
	seeder, err := braid.New(braid.Config{DataDir: filepath.Join(work, "seed"), StateDir: filepath.Join(work, "seed-state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	defer seeder.Close()
	multi := map[string][]byte{"a.bin": randomBytes(1_500_000), "b.bin": randomBytes(400_000), "c.bin": randomBytes(300_000)}
	_, multiRaw, err := seeder.Seed(context.Background(), []braid.SeedFile{
		{Path: []string{"a.bin"}, Data: multi["a.bin"]}, {Path: []string{"b.bin"}, Data: multi["b.bin"]},
		{Path: []string{"c.bin"}, Data: multi["c.bin"]}}, braid.SeedOptions{Name: "multi", PieceLength: 32768})
	require.NoError(t, err)
	single := randomBytes(200_000)
	st, _, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"single.bin"}, Data: single}},
		braid.SeedOptions{Name: "single.bin", PieceLength: 16384})
	require.NoError(t, err)
	later := randomBytes(100_000)
	lt, _, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"later.bin"}, Data: later}},
		braid.SeedOptions{Name: "later.bin", PieceLength: 16384})
	require.NoError(t, err)
	multiFile := filepath.Join(work, "multi.torrent")
	require.NoError(t, os.WriteFile(multiFile, multiRaw, 0o644))

	dataDir, stateDir := filepath.Join(work, "data"), filepath.Join(work, "state")
	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	args := []string{"--rpc", addr, "--dir", dataDir, "--state-dir", stateDir, "--listen", "127.0.0.1:0",
		"--no-dht", "--no-port-mapping", "--no-webrtc", "--download-rate", "200000", "--peer", seeder.ListenAddr()}
	r := newRemote(t, addr)
	c := &rpcClient{url: "http://" + addr + "/transmission/rpc"}

	d := startDaemon(t, bin, args...)
	r.waitUp(d)
	// 1: by magnet; let it finish, then stop it.
	r.must("-a", "magnet:?xt=urn:btih:"+st.InfoHash().String()+"&dn=single.bin")
	r.waitLine(d, 1, "complete", func(l string) bool { return strings.Contains(l, "100%") })
	r.must("-t", "1", "-S")
	r.waitLine(d, 1, "stopped", func(l string) bool { return strings.Contains(l, "Stopped") })
	// 2: by file, c.bin unwanted, labelled.
	r.must("-a", multiFile)
	r.must("-t", "2", "-G", "2")
	r.must("-t", "2", "-L", "keep,these")
	// 3: by magnet while new torrents start paused.
	r.must("--start-paused")
	r.must("-a", "magnet:?xt=urn:btih:"+lt.InfoHash().String()+"&dn=later.bin")
	r.must("--no-start-paused")
	// Per-torrent seed ratio and queue order.
	r.must("-t", "2", "-sr", "3.5")
	require.Equal(t, "success", c.call(t, "queue-move-top", map[string]any{"ids": []int{3}}, nil))

	// Kill the daemon halfway through torrent 2's wanted 1.9 MB.
	var before map[int]map[string]any
	deadline := time.Now().Add(40 * time.Second)
	for {
		before = c.torrents(t, "haveValid", "sizeWhenDone", "status")
		have, size := before[2]["haveValid"].(float64), before[2]["sizeWhenDone"].(float64)
		if have > size/3 {
			require.Less(t, have, size, "the download ran too fast to kill it halfway")
			break
		}
		require.True(t, time.Now().Before(deadline), "torrent 2 made no progress: %v\n%s", before, d.stderr.String())
		time.Sleep(100 * time.Millisecond)
	}
	d.killHard(t)

	d = startDaemon(t, bin, args...)
	r.waitUp(d)
	require.Contains(t, r.listLine(1), "Stopped", "a stopped torrent stays stopped")
	require.Contains(t, r.listLine(1), "100%")
	require.Contains(t, r.listLine(3), "Stopped", "a torrent added paused stays paused")
	// Torrent 2 checks its data, then goes on: no verified piece is lost.
	var after map[int]map[string]any
	deadline = time.Now().Add(40 * time.Second)
	for {
		after = c.torrents(t, "haveValid", "status", "labels", "wanted", "name", "downloadDir", "seedRatioMode", "seedRatioLimit", "queuePosition")
		if after[2]["status"].(float64) != 2 && after[2]["status"].(float64) != 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "still checking: %v", after)
		time.Sleep(100 * time.Millisecond)
	}
	require.Len(t, after, 3)
	require.GreaterOrEqual(t, after[2]["haveValid"].(float64), before[2]["haveValid"].(float64), "verified pieces kept")
	require.Equal(t, []any{"keep", "these"}, after[2]["labels"])
	require.Equal(t, []any{1.0, 1.0, 0.0}, after[2]["wanted"])
	require.Equal(t, "multi", after[2]["name"])
	require.Equal(t, "later.bin", after[3]["name"])
	require.EqualValues(t, 1, after[2]["seedRatioMode"])
	require.EqualValues(t, 3.5, after[2]["seedRatioLimit"])
	require.EqualValues(t, 0, after[3]["queuePosition"])
	require.EqualValues(t, 1, after[1]["queuePosition"])
	require.EqualValues(t, 2, after[2]["queuePosition"])

	// Torrent 2 finishes its wanted files only; 3 starts when asked.
	r.waitLine(d, 2, "complete", func(l string) bool { return strings.Contains(l, "100%") })
	for _, n := range []string{"a.bin", "b.bin"} {
		got, err := os.ReadFile(filepath.Join(dataDir, "multi", n))
		require.NoError(t, err)
		require.True(t, bytes.Equal(multi[n], got), n)
	}
	got, err := os.ReadFile(filepath.Join(dataDir, "single.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(single, got), "single.bin intact")
	r.must("-t", "3", "-s")
	r.waitLine(d, 3, "complete", func(l string) bool { return strings.Contains(l, "100%") })
	got, err = os.ReadFile(filepath.Join(dataDir, "later.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(later, got), "later.bin downloaded")
	d.stop(t)
}

// TestDaemonMoveWithTransmissionRemote: --blocklist-update reloads the
// blocklist; --move moves a seeding torrent's data and it seeds from there; --move to a place that cannot be written
// reports the error and changes nothing; --find points it elsewhere.
func TestDaemonMoveWithTransmissionRemote(t *testing.T) {
	work := t.TempDir()
	bin := daemonBinary(t)
	seeder, err := braid.New(braid.Config{DataDir: filepath.Join(work, "data"), StateDir: filepath.Join(work, "seed-state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	content := randomBytes(300_000)
	_, raw, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"moved"}, Data: content}},
		braid.SeedOptions{Name: "moved", PieceLength: 16384})
	require.NoError(t, err)
	require.NoError(t, seeder.Close())
	file := filepath.Join(work, "moved.torrent")
	require.NoError(t, os.WriteFile(file, raw, 0o644))
	dataDir := filepath.Join(work, "data")
	require.FileExists(t, filepath.Join(dataDir, "moved"))

	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	blocklist := filepath.Join(work, "blocklist.p2p")
	require.NoError(t, os.WriteFile(blocklist, []byte("x:10.9.0.1-10.9.0.2\n"), 0o644))
	d := startDaemon(t, bin, "--rpc", addr, "--dir", dataDir, "--state-dir", filepath.Join(work, "state"), "--listen", "127.0.0.1:0",
		"--no-dht", "--no-port-mapping", "--no-webrtc", "--blocklist", blocklist)
	r := newRemote(t, addr)
	r.waitUp(d)
	r.must("--blocklist-update")
	r.must("-a", file)
	r.waitLine(d, 1, "seeding", func(l string) bool { return strings.Contains(l, "100%") && !strings.Contains(l, "Stopped") })

	blocker := filepath.Join(work, "blocker")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	out, _ := r.try("-t", "1", "--move", filepath.Join(blocker, "x"))
	require.Contains(t, out, "the data stays in "+dataDir)
	require.FileExists(t, filepath.Join(dataDir, "moved"))

	to := filepath.Join(work, "elsewhere")
	r.must("-t", "1", "--move", to)
	got, err := os.ReadFile(filepath.Join(to, "moved"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(content, got))
	require.NoFileExists(t, filepath.Join(dataDir, "moved"))
	r.waitLine(d, 1, "seeding after the move", func(l string) bool { return strings.Contains(l, "100%") && !strings.Contains(l, "Stopped") })
	info, err := r.try("-t", "1", "-i")
	require.NoError(t, err, info)
	require.Contains(t, info, "Location: "+to)

	empty := filepath.Join(work, "empty")
	r.must("-t", "1", "--find", empty)
	r.waitLine(d, 1, "nothing at the new place", func(l string) bool { return strings.Contains(l, " 0%") })
	require.FileExists(t, filepath.Join(to, "moved"), "--find moves nothing")
	d.stop(t)
}
