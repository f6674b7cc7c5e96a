package interop

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

// client names a foreign BitTorrent client the tests drive.
type client string

const (
	libtorrent   client = "libtorrent"
	transmission client = "transmission"
	aria2        client = "aria2"
)

// systemPython is Debian's interpreter: another python3 first on PATH may not
// see the python3-libtorrent module.
const systemPython = "/usr/bin/python3"

var ltCheck struct {
	once sync.Once
	err  error
}

// requireClient fails the test, naming the package to install, when the
// programs behind c are missing.
func requireClient(t *testing.T, c client) {
	t.Helper()
	switch c {
	case libtorrent:
		ltCheck.once.Do(func() {
			out, err := exec.Command(systemPython, "-c", "import libtorrent").CombinedOutput()
			if err != nil {
				ltCheck.err = fmt.Errorf("%s cannot import libtorrent (%v: %s); install python3-libtorrent (scripts/install-test-deps.sh)", systemPython, err, bytes.TrimSpace(out))
			}
		})
		require.NoError(t, ltCheck.err)
	case transmission:
		requireCommand(t, "transmission-daemon", "transmission-daemon")
	case aria2:
		requireCommand(t, "aria2c", "aria2")
	default:
		t.Fatalf("unknown client %q", c)
	}
}

// requireCommand fails the test when name is not on PATH.
func requireCommand(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	require.NoError(t, err, "%s is missing: install the Debian package %s (scripts/install-test-deps.sh)", name, pkg)
	return path
}

// peerOpts tunes a foreign peer; not every client supports every option.
type peerOpts struct {
	dial        []string // addresses the peer dials itself (libtorrent only)
	uploadLimit int      // bytes per second (libtorrent only)
	keepSeeding bool     // a leecher stays up after completing (libtorrent only)
	encrypted   bool     // RC4-encrypted connections only, both ways (libtorrent only)
	utpOnly     bool     // uTP connections only, both ways (libtorrent only)
}

// peer is a running foreign client holding one torrent.
type peer struct {
	kind     client
	port     int // peer-wire port on 127.0.0.1
	proc     *proc
	parent   string // save directory: the data lives in parent/<torrent name>
	infoHash string
	tr       *transmissionRPC // Transmission only
	started  time.Time
}

func (p *peer) addr() string { return loopback(p.port) }

// startSeeder starts kind seeding the data in parent and returns once it seeds.
func startSeeder(t *testing.T, kind client, torrent, parent string, o peerOpts) *peer {
	t.Helper()
	p := startPeer(t, kind, "seed", torrent, parent, o)
	p.waitSeeding(t, 60*time.Second)
	return p
}

// startLeecher starts kind downloading into parent; see waitComplete.
func startLeecher(t *testing.T, kind client, torrent, parent string, o peerOpts) *peer {
	t.Helper()
	return startPeer(t, kind, "leech", torrent, parent, o)
}

func startPeer(t *testing.T, kind client, mode, torrent, parent string, o peerOpts) *peer {
	t.Helper()
	requireClient(t, kind)
	require.NoError(t, os.MkdirAll(parent, 0o755))
	meta := readTorrent(t, torrent)
	p := &peer{kind: kind, port: freePort(t), parent: parent, infoHash: meta.infoHash, started: time.Now()}
	name := fmt.Sprintf("%s-%s", kind, mode)
	if kind != libtorrent {
		require.Empty(t, o.dial, "%s cannot be told to dial a peer", kind)
		require.Zero(t, o.uploadLimit, "upload limits are only wired for libtorrent")
		require.False(t, o.keepSeeding, "keepSeeding is only wired for libtorrent")
		require.False(t, o.encrypted, "forced encryption is only wired for libtorrent")
		require.False(t, o.utpOnly, "uTP-only is only wired for libtorrent")
	}
	switch kind {
	case libtorrent:
		script := filepath.Join(suite.repoRoot, "test", "interop", "peers", "lt_peer.py")
		argv := []string{systemPython, "-u", script, mode, torrent, parent, "--listen", p.addr()}
		for _, d := range o.dial {
			argv = append(argv, "--peer", d)
		}
		if o.uploadLimit > 0 {
			argv = append(argv, "--upload-limit", strconv.Itoa(o.uploadLimit))
		}
		if o.keepSeeding {
			argv = append(argv, "--keep-seeding")
		}
		if o.encrypted {
			argv = append(argv, "--encryption", "forced")
		}
		if o.utpOnly {
			argv = append(argv, "--transport", "utp")
		}
		p.proc = startProc(t, name, "", argv...)
		p.proc.requireEvent(t, name+" ready", 30*time.Second, isType("ready"))
	case aria2:
		p.proc = startAria2(t, name, mode, torrent, parent, p.port, strings.HasPrefix(meta.announce, "udp://"))
	case transmission:
		p.proc, p.tr = startTransmission(t, name, p.port)
		p.tr.add(t, torrent, parent, mode == "seed")
	}
	return p
}

// waitSeeding returns once the seeder has verified its data and serves it.
func (p *peer) waitSeeding(t *testing.T, timeout time.Duration) {
	t.Helper()
	switch p.kind {
	case libtorrent:
		p.proc.requireEvent(t, "libtorrent seeding", timeout, func(e event) bool {
			return e.Type == "progress" && e.State == "seeding"
		})
	case aria2:
		p.waitAria2Seeding(t, timeout)
	case transmission:
		p.tr.waitStatus(t, p.proc, timeout, "seeding", func(s trStatus) bool {
			return s.Status == trSeed && s.PercentDone == 1
		})
	}
}

// waitComplete waits until the leecher has the whole torrent on disk.
func (p *peer) waitComplete(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	switch p.kind {
	case libtorrent:
		p.proc.requireEvent(t, "libtorrent complete", timeout, isType("complete"))
		if !hasArg(p.proc.cmdline, "--keep-seeding") {
			p.proc.requireExitOK(t, 20*time.Second)
		}
	case aria2:
		// --seed-time=0: aria2c exits 0 once the download is complete and verified.
		p.proc.requireExitOK(t, timeout)
	case transmission:
		p.tr.waitStatus(t, p.proc, timeout, "complete", func(s trStatus) bool {
			return s.PercentDone == 1 && s.LeftUntilDone == 0 && s.Status != trCheck && s.Status != trCheckWait
		})
		// Stopping flushes Transmission's write cache and closes the files.
		p.tr.call(t, "torrent-stop", map[string]any{"ids": []int{p.tr.id}}, nil)
		p.tr.waitStatus(t, p.proc, 20*time.Second, "stopped", func(s trStatus) bool { return s.Status == trStopped })
	}
	return time.Since(p.started)
}

func hasArg(cmdline, arg string) bool {
	for _, f := range strings.Fields(cmdline) {
		if f == arg {
			return true
		}
	}
	return false
}

// ---- aria2 ----

// startAria2 runs aria2c: a leecher exits 0 once complete (--seed-time=0); a
// seeder checks its data and seeds forever (--seed-ratio=0.0), watched over
// its JSON-RPC port. aria2 sends UDP tracker requests only through its DHT
// socket, so udpTracker turns DHT on, with no entry point and a private
// routing table file: it never reaches beyond the peers the test gives it.
func startAria2(t *testing.T, name, mode, torrent, parent string, port int, udpTracker bool) *proc {
	t.Helper()
	work := t.TempDir()
	logFile := filepath.Join(work, "aria2.log")
	dht := []string{"--enable-dht=false"}
	if udpTracker {
		dht = []string{"--enable-dht=true", "--dht-listen-port=" + strconv.Itoa(freePort(t)),
			"--dht-file-path=" + filepath.Join(work, "dht.dat")}
	}
	argv := []string{"aria2c", "--no-conf=true", "--dir=" + parent, "--listen-port=" + strconv.Itoa(port),
		"--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht6=false",
		"--enable-peer-exchange=false", "--bt-enable-lpd=false", "--file-allocation=none",
		"--auto-save-interval=0", "--save-session-interval=0", "--summary-interval=0",
		"--console-log-level=warn", "--log=" + logFile, "--log-level=info",
		"--bt-tracker-connect-timeout=5", "--bt-tracker-interval=5", "--bt-stop-timeout=0",
		"--follow-torrent=mem", "--allow-overwrite=true", "--auto-file-renaming=false"}
	argv = append(argv, dht...)
	if mode == "seed" {
		argv = append(argv, "--check-integrity=true", "--seed-ratio=0.0",
			"--enable-rpc=true", "--rpc-listen-all=false", "--rpc-listen-port="+strconv.Itoa(freePort(t)))
	} else {
		argv = append(argv, "--seed-time=0")
	}
	argv = append(argv, torrent)
	p := startProc(t, name, "", argv...)
	p.logFiles = append(p.logFiles, logFile)
	return p
}

func (p *peer) aria2RPCPort(t *testing.T) string {
	for _, a := range strings.Fields(p.proc.cmdline) {
		if v, ok := strings.CutPrefix(a, "--rpc-listen-port="); ok {
			return v
		}
	}
	t.Fatalf("aria2 was started without RPC")
	return ""
}

// waitAria2Seeding polls aria2.tellActive until the torrent reports seeder=true.
func (p *peer) waitAria2Seeding(t *testing.T, timeout time.Duration) {
	t.Helper()
	url := "http://127.0.0.1:" + p.aria2RPCPort(t) + "/jsonrpc"
	body := []byte(`{"jsonrpc":"2.0","id":"braid","method":"aria2.tellActive","params":[["gid","status","seeder","completedLength","totalLength"]]}`)
	var last string
	ok := waitUntil(timeout, func() bool {
		if p.proc.exited() {
			return true
		}
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			last = err.Error()
			return false
		}
		defer resp.Body.Close()
		var r struct {
			Result []struct {
				Seeder          string `json:"seeder"`
				CompletedLength string `json:"completedLength"`
				TotalLength     string `json:"totalLength"`
			} `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			last = err.Error()
			return false
		}
		last = fmt.Sprintf("%+v", r.Result)
		return len(r.Result) == 1 && r.Result[0].Seeder == "true" && r.Result[0].CompletedLength == r.Result[0].TotalLength
	})
	require.False(t, p.proc.exited(), "aria2 seeder exited: %v", p.proc.waitErr)
	require.True(t, ok, "aria2 not seeding within %v; last tellActive: %s", timeout, last)
}

// ---- Transmission ----

// Transmission torrent status codes (RPC "status").
const (
	trStopped   = 0
	trCheckWait = 1
	trCheck     = 2
	trSeed      = 6
)

type trStatus struct {
	ID             int     `json:"id"`
	Status         int     `json:"status"`
	PercentDone    float64 `json:"percentDone"`
	LeftUntilDone  int64   `json:"leftUntilDone"`
	Error          int     `json:"error"`
	ErrorString    string  `json:"errorString"`
	PeersConnected int     `json:"peersConnected"`
	RateDownload   int64   `json:"rateDownload"`
	RateUpload     int64   `json:"rateUpload"`
}

// transmissionRPC talks to one transmission-daemon over its JSON RPC.
type transmissionRPC struct {
	url string
	sid string
	id  int // the one torrent this daemon holds
}

// startTransmission runs transmission-daemon in the foreground with a fresh
// config dir (so no resume/ or torrents/ of an earlier run is picked up),
// peer port port, RPC on another loopback port.
func startTransmission(t *testing.T, name string, port int) (*proc, *transmissionRPC) {
	t.Helper()
	cfg := t.TempDir()
	rpcPort := freePort(t)
	settings := map[string]any{
		"bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "peer-port": port,
		"peer-port-random-on-start": false, "port-forwarding-enabled": false,
		"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
		"blocklist-enabled": false, "incomplete-dir-enabled": false, "rename-partial-files": false,
		"start-added-torrents": true, "download-queue-enabled": false, "seed-queue-enabled": false,
		"queue-stalled-enabled": false, "ratio-limit-enabled": false, "idle-seeding-limit-enabled": false,
		"speed-limit-down-enabled": false, "speed-limit-up-enabled": false, "alt-speed-enabled": false,
		"rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": rpcPort,
		"rpc-authentication-required": false, "rpc-whitelist-enabled": true, "rpc-whitelist": "127.0.0.1",
		"rpc-host-whitelist-enabled": false, "message-level": 2, "trash-original-torrent-files": false,
		"watch-dir-enabled": false, "peer-limit-per-torrent": 50, "peer-limit-global": 200,
	}
	data, err := json.MarshalIndent(settings, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "settings.json"), data, 0o644))
	logFile := filepath.Join(cfg, "daemon.log")
	p := startProc(t, name, "", "transmission-daemon", "-f", "-g", cfg, "-e", logFile)
	p.logFiles = append(p.logFiles, logFile)
	requireTCPUp(t, p, loopback(rpcPort), 20*time.Second)
	return p, &transmissionRPC{url: fmt.Sprintf("http://127.0.0.1:%d/transmission/rpc", rpcPort)}
}

// call performs one RPC, handling the session-id handshake (HTTP 409).
func (r *transmissionRPC) call(t *testing.T, method string, args any, out any) {
	t.Helper()
	req, err := json.Marshal(map[string]any{"method": method, "arguments": args})
	require.NoError(t, err)
	for range 3 {
		hr, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(req))
		require.NoError(t, err)
		hr.Header.Set("X-Transmission-Session-Id", r.sid)
		resp, err := http.DefaultClient.Do(hr)
		require.NoError(t, err, "transmission rpc %s", method)
		if resp.StatusCode == http.StatusConflict {
			r.sid = resp.Header.Get("X-Transmission-Session-Id")
			resp.Body.Close()
			continue
		}
		var res struct {
			Result    string          `json:"result"`
			Arguments json.RawMessage `json:"arguments"`
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		require.NoError(t, err, "transmission rpc %s: HTTP %d", method, resp.StatusCode)
		require.Equal(t, "success", res.Result, "transmission rpc %s", method)
		if out != nil {
			require.NoError(t, json.Unmarshal(res.Arguments, out))
		}
		return
	}
	t.Fatalf("transmission rpc %s: no session id accepted", method)
}

// add adds the torrent saving into parent. A seeder is added paused,
// verified, then started.
func (r *transmissionRPC) add(t *testing.T, torrent, parent string, seed bool) {
	t.Helper()
	var res struct {
		Added *struct {
			ID int `json:"id"`
		} `json:"torrent-added"`
	}
	r.call(t, "torrent-add", map[string]any{"filename": torrent, "download-dir": parent, "paused": seed}, &res)
	require.NotNil(t, res.Added, "transmission did not add %s", torrent)
	r.id = res.Added.ID
	if seed {
		ids := map[string]any{"ids": []int{r.id}}
		r.call(t, "torrent-verify", ids, nil)
		r.call(t, "torrent-start", ids, nil)
	}
}

func (r *transmissionRPC) status(t *testing.T) trStatus {
	t.Helper()
	var res struct {
		Torrents []trStatus `json:"torrents"`
	}
	r.call(t, "torrent-get", map[string]any{"ids": []int{r.id}, "fields": []string{
		"id", "status", "percentDone", "leftUntilDone", "error", "errorString", "peersConnected", "rateDownload", "rateUpload"}}, &res)
	require.Len(t, res.Torrents, 1)
	return res.Torrents[0]
}

// waitStatus polls the torrent until cond holds; a torrent error fails at once.
func (r *transmissionRPC) waitStatus(t *testing.T, p *proc, timeout time.Duration, what string, cond func(trStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		require.False(t, p.exited(), "transmission-daemon exited: %v", p.waitErr)
		s := r.status(t)
		// Error 3 is a local error (e.g. files); 1 and 2 are tracker warnings/errors, which are not fatal here.
		require.NotEqual(t, 3, s.Error, "transmission: %s", s.ErrorString)
		if cond(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("transmission not %s within %v: %+v", what, timeout, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ---- trackers and .torrent makers from Debian ----

// startOpentracker runs Debian's opentracker on one loopback port (HTTP and
// UDP). Its build only accepts whitelisted info hashes, written into the
// chroot dir before it starts.
func startOpentracker(t *testing.T, port int, infoHashes ...string) {
	t.Helper()
	requireCommand(t, "opentracker", "opentracker")
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	wl := filepath.Join(dir, "whitelist")
	require.NoError(t, os.WriteFile(wl, []byte(strings.Join(infoHashes, "\n")+"\n"), 0o644))
	ps := strconv.Itoa(port)
	p := startProc(t, "opentracker", dir, "opentracker", "-i", "127.0.0.1", "-p", ps, "-P", ps, "-d", dir, "-w", "whitelist")
	requireTCPUp(t, p, loopback(port), 10*time.Second)
	requireUDPTrackerUp(t, p, loopback(port), 10*time.Second)
}

// requireSeedOnTracker waits until an HTTP scrape of the tracker shows at
// least one complete peer for the torrent: opentracker tells peers to come
// back only after 30 minutes, so a leecher must announce after the seeder.
func requireSeedOnTracker(t *testing.T, port int, infoHash string, timeout time.Duration) {
	t.Helper()
	raw, err := hexDecode(infoHash)
	require.NoError(t, err)
	url := fmt.Sprintf("http://127.0.0.1:%d/scrape?info_hash=%s", port, percentEscape(raw))
	var last string
	ok := waitUntil(timeout, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		last = body.String()
		n, found := scrapeComplete(body.Bytes(), string(raw))
		return found && n >= 1
	})
	require.True(t, ok, "tracker on port %d shows no seed for %s within %v; last scrape: %q", port, infoHash, timeout, last)
}

// mktorrent writes a .torrent of src with Debian's mktorrent (pieceLength must be a power of two).
func mktorrent(t *testing.T, src, out string, pieceLength int64, announce ...string) string {
	t.Helper()
	requireCommand(t, "mktorrent", "mktorrent")
	exp := 0
	for int64(1)<<exp < pieceLength {
		exp++
	}
	require.Equal(t, pieceLength, int64(1)<<exp, "mktorrent needs a power-of-two piece length")
	argv := []string{"-l", strconv.Itoa(exp), "-o", out}
	for _, a := range announce {
		argv = append(argv, "-a", a)
	}
	argv = append(argv, src)
	res, err := exec.Command("mktorrent", argv...).CombinedOutput()
	require.NoError(t, err, "mktorrent %s: %s", strings.Join(argv, " "), res)
	return out
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

// percentEscape escapes every byte, the safest form for a binary info_hash parameter.
func percentEscape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

// scrapeComplete reads the "complete" count of one raw info hash from a bencoded scrape reply.
func scrapeComplete(body []byte, rawHash string) (int, bool) {
	var r struct {
		Files map[string]struct {
			Complete int `bencode:"complete"`
		} `bencode:"files"`
	}
	if bencode.Unmarshal(body, &r) != nil {
		return 0, false
	}
	f, ok := r.Files[rawHash]
	return f.Complete, ok
}
