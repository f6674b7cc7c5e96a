package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	c        *braid.Client
	srv      *Server
	ts       *httptest.Server
	dir      string // default download directory
	state    string // daemon state file
	settings string
	closed   chan struct{}
}

func newClient(t *testing.T, dir string) *braid.Client {
	t.Helper()
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: filepath.Join(dir, ".state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true, NoUTP: true})
	require.NoError(t, err)
	return c
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{dir: filepath.Join(root, "data"), state: filepath.Join(root, "daemon.json"),
		settings: filepath.Join(root, "settings.json"), closed: make(chan struct{})}
	require.NoError(t, os.MkdirAll(f.dir, 0o755))
	f.c = newClient(t, root)
	t.Cleanup(func() { _ = f.c.Close() })
	cfg := Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state, SettingsFile: f.settings,
		OnClose: func() { close(f.closed) }}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	f.srv = srv
	// Before the client closes: a save a torrent's completion started
	// in the background leaves no temp file in the removed directory.
	t.Cleanup(func() {
		srv.st.writeMu.Lock()
		srv.st.path = ""
		srv.st.writeMu.Unlock()
	})
	f.ts = httptest.NewServer(srv)
	t.Cleanup(f.ts.Close)
	return f
}

// post sends body with the session id and returns the HTTP status and body.
func (f *fixture) post(t *testing.T, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+Path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Transmission-Session-Id", f.srv.SessionID())
	resp, err := f.ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

type answer struct {
	Result    string          `json:"result"`
	Arguments json.RawMessage `json:"arguments"`
	Tag       *int            `json:"tag"`
}

// call runs a method and decodes the answer's arguments into out (if not nil).
func (f *fixture) call(t *testing.T, method string, arguments any, out any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"method": method, "arguments": arguments})
	require.NoError(t, err)
	code, raw := f.post(t, string(body))
	require.Equal(t, http.StatusOK, code, string(raw))
	var a answer
	require.NoError(t, json.Unmarshal(raw, &a), string(raw))
	if out != nil && a.Result == "success" {
		require.NoError(t, json.Unmarshal(a.Arguments, out), string(raw))
	}
	return a.Result
}

type torrentsAnswer struct {
	Torrents []map[string]any `json:"torrents"`
}

func (f *fixture) get(t *testing.T, fields []string, ids any) []map[string]any {
	t.Helper()
	a := map[string]any{"fields": fields}
	if ids != nil {
		a["ids"] = ids
	}
	var out torrentsAnswer
	require.Equal(t, "success", f.call(t, "torrent-get", a, &out))
	return out.Torrents
}

// makeTorrent builds a two-file torrent; with store, its data is written
// under dir so the torrent is complete when added there.
func makeTorrent(t *testing.T, dir, name string, store bool) ([]byte, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{"a.bin": bytes.Repeat([]byte("a"), 70_000), "b.bin": bytes.Repeat([]byte("b"), 30_000)}
	raw, err := metainfo.Create(metainfo.CreateOptions{Name: name, PieceLength: 16384, Files: []metainfo.FileSpec{
		{Path: []string{"a.bin"}, Length: 70_000}, {Path: []string{"b.bin"}, Length: 30_000}}},
		io.MultiReader(bytes.NewReader(files["a.bin"]), bytes.NewReader(files["b.bin"])))
	require.NoError(t, err)
	if store {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		for n, d := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name, n), d, 0o644))
		}
	}
	return raw, files
}

func TestSessionIDHandshake(t *testing.T) {
	f := newFixture(t, nil)
	resp, err := http.Post(f.ts.URL+Path, "application/json", strings.NewReader(`{"method":"session-get"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	id := resp.Header.Get("X-Transmission-Session-Id")
	require.Equal(t, f.srv.SessionID(), id)
	require.NotEmpty(t, id)

	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+Path, strings.NewReader(`{"method":"session-get"}`))
	req.Header.Set("X-Transmission-Session-Id", "wrong")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusConflict, resp.StatusCode, "a wrong id is refused too")

	code, body := f.post(t, `{"method":"session-get","tag":7}`)
	require.Equal(t, http.StatusOK, code)
	var a answer
	require.NoError(t, json.Unmarshal(body, &a))
	require.Equal(t, "success", a.Result)
	require.NotNil(t, a.Tag)
	require.Equal(t, 7, *a.Tag, "the tag is echoed")

	resp, err = http.Get(f.ts.URL + "/elsewhere")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestHostAllowList(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AllowedHosts = []string{"nas.example", "*.home.example"} })
	status := func(host string) int {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+Path, strings.NewReader(`{"method":"session-get"}`))
		req.Host = host
		req.Header.Set("X-Transmission-Session-Id", f.srv.SessionID())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, h := range []string{"localhost:9091", "localhost.", "127.0.0.1:9091", "[::1]:9091", "192.168.1.5", "nas.example:9091", "tv.home.example"} {
		require.Equal(t, http.StatusOK, status(h), h)
	}
	for _, h := range []string{"evil.example", "evil.example:9091", "nas.example.evil", "home.example.evil"} {
		require.Equal(t, http.StatusMisdirectedRequest, status(h), h)
	}
}

func TestBasicAuth(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Username, c.Password = "alice", "s3cret" })
	try := func(user, pass string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+Path, strings.NewReader(`{"method":"session-get"}`))
		req.Header.Set("X-Transmission-Session-Id", f.srv.SessionID())
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := try("", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
	require.Equal(t, http.StatusUnauthorized, try("alice", "wrong").StatusCode)
	require.Equal(t, http.StatusUnauthorized, try("bob", "s3cret").StatusCode)
	require.Equal(t, http.StatusOK, try("alice", "s3cret").StatusCode)
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "bad", false)
	meta := base64.StdEncoding.EncodeToString(raw)
	cases := []struct{ name, body, result string }{
		{"malformed JSON", `{"method":`, "no method name"},
		{"not an object", `[1,2]`, "no method name"},
		{"no method", `{"arguments":{}}`, "no method name"},
		{"method not a string", `{"method":5}`, "no method name"},
		{"unknown method", `{"method":"torrent-frobnicate"}`, "method name not recognized"},
		{"arguments not an object", `{"method":"torrent-get","arguments":[1]}`, `invalid argument "arguments"`},
		{"fields not strings", `{"method":"torrent-get","arguments":{"fields":5}}`, `invalid argument "fields"`},
		{"no fields", `{"method":"torrent-get","arguments":{}}`, "no fields specified"},
		{"bad format", `{"method":"torrent-get","arguments":{"fields":["id"],"format":"csv"}}`, `invalid argument "format"`},
		{"ids an object", `{"method":"torrent-stop","arguments":{"ids":{"a":1}}}`, `invalid argument "ids"`},
		{"ids with a bool", `{"method":"torrent-start","arguments":{"ids":[true]}}`, `invalid argument "ids"`},
		{"delete-local-data a string", `{"method":"torrent-remove","arguments":{"delete-local-data":"yes"}}`, `invalid argument "delete-local-data"`},
		{"add nothing", `{"method":"torrent-add","arguments":{}}`, "no filename or metainfo specified"},
		{"add bad base64", `{"method":"torrent-add","arguments":{"metainfo":"@@@"}}`, "invalid or corrupt torrent file"},
		{"add garbage", `{"method":"torrent-add","arguments":{"metainfo":"` + base64.StdEncoding.EncodeToString([]byte("garbage")) + `"}}`, "invalid or corrupt torrent file"},
		{"add missing file", `{"method":"torrent-add","arguments":{"filename":"/nonexistent/x.torrent"}}`, "invalid or corrupt torrent file"},
		{"add bad magnet", `{"method":"torrent-add","arguments":{"filename":"magnet:?xt=urn:btih:zz"}}`, "invalid or corrupt torrent file"},
		{"add filename a number", `{"method":"torrent-add","arguments":{"filename":12}}`, `invalid argument "filename"`},
		{"add paused a string", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","paused":"yes"}}`, `invalid argument "paused"`},
		{"add relative dir", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","download-dir":"rel/dir"}}`, "not absolute"},
		{"add unwanted out of range", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","files-unwanted":[2]}}`, `invalid argument "files-unwanted"`},
		{"add every file unwanted", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","files-unwanted":[0,1]}}`, "every file of the torrent would be unwanted"},
		{"add priority out of range", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","priority-high":[2]}}`, `invalid argument "priority-high"`},
		{"add priority not ints", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","priority-low":"all"}}`, `invalid argument "priority-low"`},
		{"add unwanted not ints", `{"method":"torrent-add","arguments":{"metainfo":"` + meta + `","files-unwanted":["a"]}}`, `invalid argument "files-unwanted"`},
		{"session-set relative dir", `{"method":"session-set","arguments":{"download-dir":"x"}}`, "not absolute"},
		{"session-set dir a number", `{"method":"session-set","arguments":{"download-dir":3}}`, `invalid argument "download-dir"`},
		{"session-set queue size a string", `{"method":"session-set","arguments":{"download-queue-size":"5"}}`, `invalid argument "download-queue-size"`},
		{"session-set negative ratio", `{"method":"session-set","arguments":{"seedRatioLimit":-1}}`, `invalid argument "seedRatioLimit"`},
		{"session-set fractional size", `{"method":"session-set","arguments":{"seed-queue-size":1.5}}`, `invalid argument "seed-queue-size"`},
		{"session-set one good one bad", `{"method":"session-set","arguments":{"start-added-torrents":false,"idle-seeding-limit":"x"}}`, `invalid argument "idle-seeding-limit"`},
		{"set-location relative", `{"method":"torrent-set-location","arguments":{"location":"../x","move":true}}`, "not absolute"},
		{"rename traversal", `{"method":"torrent-rename-path","arguments":{"ids":[1],"path":"a","name":"../../x"}}`, `invalid argument "name"`},
		{"queue-move bad ids", `{"method":"queue-move-top","arguments":{"ids":{"x":1}}}`, `invalid argument "ids"`},
		{"session-get fields a string", `{"method":"session-get","arguments":{"fields":"version"}}`, `invalid argument "fields"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.post(t, tc.body)
			require.Equal(t, http.StatusOK, code, string(body))
			var a answer
			require.NoError(t, json.Unmarshal(body, &a), string(body))
			require.Contains(t, a.Result, tc.result)
			require.NotEqual(t, "success", a.Result)
		})
	}
	require.Empty(t, f.get(t, []string{"id"}, nil), "no bad request added a torrent")
	require.Empty(t, f.c.List())
	require.NoFileExists(t, f.settings, "no bad session-set wrote settings")
	var sg map[string]any
	require.Equal(t, "success", f.call(t, "session-get", nil, &sg))
	require.Equal(t, f.dir, sg["download-dir"])
	require.Equal(t, true, sg["start-added-torrents"], "a session-set with a bad key changes nothing")

	t.Run("huge body", func(t *testing.T) {
		body := `{"method":"session-get","arguments":{"x":"` + strings.Repeat("a", MaxBody) + `"}}`
		code, _ := f.post(t, body)
		require.Equal(t, http.StatusRequestEntityTooLarge, code)
	})
	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+Path, nil)
		req.Header.Set("X-Transmission-Session-Id", f.srv.SessionID())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

func TestSessionGetSetStatsClose(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Session.PeerPort, c.Session.LPD = 51413, true })
	require.NoError(t, os.WriteFile(f.settings, []byte(`{"rpc-username":"alice","other":1}`), 0o600))
	var sg map[string]any
	require.Equal(t, "success", f.call(t, "session-get", nil, &sg))
	require.EqualValues(t, 17, sg["rpc-version"])
	require.EqualValues(t, 14, sg["rpc-version-minimum"])
	require.EqualValues(t, 51413, sg["peer-port"])
	require.Equal(t, true, sg["lpd-enabled"])
	require.Equal(t, f.dir, sg["download-dir"])
	require.Contains(t, sg["version"], braid.Release())
	require.Equal(t, f.srv.SessionID(), sg["session-id"])

	sg = nil
	require.Equal(t, "success", f.call(t, "session-get", map[string]any{"fields": []string{"version", "nonsense"}}, &sg))
	require.Len(t, sg, 1, "only the asked fields: %v", sg)

	other := t.TempDir()
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-dir": other, "speed-limit-up": 5}, nil))
	sg = nil
	require.Equal(t, "success", f.call(t, "session-get", map[string]any{"fields": []string{"download-dir"}}, &sg))
	require.Equal(t, other, sg["download-dir"])
	data, err := os.ReadFile(f.settings)
	require.NoError(t, err)
	var settings map[string]any
	require.NoError(t, json.Unmarshal(data, &settings))
	require.Equal(t, other, settings["download-dir"])
	require.Equal(t, "alice", settings["rpc-username"], "other settings are kept")
	require.EqualValues(t, 1, settings["other"])

	var ss map[string]any
	require.Equal(t, "success", f.call(t, "session-stats", nil, &ss))
	require.EqualValues(t, 0, ss["torrentCount"])
	require.Contains(t, ss, "cumulative-stats")
	require.Contains(t, ss, "current-stats")

	select {
	case <-f.closed:
		t.Fatal("closed before session-close")
	default:
	}
	require.Equal(t, "success", f.call(t, "session-close", nil, nil))
	select {
	case <-f.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("session-close did not close the daemon")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTorrentLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	raw, files := makeTorrent(t, f.dir, "life", true)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	hash := braid.InfoHash(mi.InfoHash).String()

	var added map[string]map[string]any
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw),
		"labels": []string{"linux"}}, &added))
	require.Contains(t, added, "torrent-added")
	require.EqualValues(t, 1, added["torrent-added"]["id"])
	require.Equal(t, "life", added["torrent-added"]["name"])
	require.Equal(t, hash, added["torrent-added"]["hashString"])

	added = nil
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, &added))
	require.Contains(t, added, "torrent-duplicate", "a second add is a duplicate")
	require.EqualValues(t, 1, added["torrent-duplicate"]["id"])

	fields := []string{"id", "name", "hashString", "status", "percentDone", "totalSize", "sizeWhenDone", "leftUntilDone",
		"rateDownload", "rateUpload", "uploadedEver", "downloadedEver", "eta", "peersConnected", "downloadDir", "error",
		"errorString", "isFinished", "addedDate", "doneDate", "files", "fileStats", "wanted", "priorities", "labels",
		"trackers", "peers", "uploadRatio", "peersGettingFromUs", "peersSendingToUs"}
	waitFor(t, "seeding", func() bool {
		ts := f.get(t, []string{"status"}, []any{1})
		return len(ts) == 1 && ts[0]["status"] == float64(statusSeed)
	})
	ts := f.get(t, fields, nil)
	require.Len(t, ts, 1)
	tor := ts[0]
	require.Len(t, tor, len(fields), "every field answered")
	require.EqualValues(t, 1, tor["id"])
	require.Equal(t, hash, tor["hashString"])
	require.EqualValues(t, 1, tor["percentDone"])
	require.EqualValues(t, 100_000, tor["totalSize"])
	require.EqualValues(t, 100_000, tor["sizeWhenDone"])
	require.EqualValues(t, 0, tor["leftUntilDone"])
	require.Equal(t, f.dir, tor["downloadDir"])
	require.EqualValues(t, 0, tor["error"])
	require.Equal(t, []any{"linux"}, tor["labels"])
	require.NotZero(t, tor["addedDate"])
	waitFor(t, "done date", func() bool { return f.get(t, []string{"doneDate"}, nil)[0]["doneDate"] != float64(0) })
	require.Equal(t, []any{
		map[string]any{"name": "life/a.bin", "length": float64(70_000), "bytesCompleted": float64(70_000)},
		map[string]any{"name": "life/b.bin", "length": float64(30_000), "bytesCompleted": float64(30_000)},
	}, tor["files"])
	require.Equal(t, []any{float64(1), float64(1)}, tor["wanted"])

	// The same torrent by hash, and the table format.
	require.Len(t, f.get(t, []string{"id"}, []any{hash}), 1)
	require.Len(t, f.get(t, []string{"id"}, hash), 1)
	require.Len(t, f.get(t, []string{"id"}, 1), 1)
	require.Empty(t, f.get(t, []string{"id"}, []any{99}), "unknown ids are skipped")
	var table struct{ Torrents [][]any }
	require.Equal(t, "success", f.call(t, "torrent-get", map[string]any{"fields": []string{"id", "name", "bogus"}, "format": "table"}, &table))
	require.Equal(t, [][]any{{"id", "name"}, {float64(1), "life"}}, table.Torrents)

	// Stop: the torrent leaves the engine, remembered as paused.
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": []any{1}}, nil))
	require.Empty(t, f.c.List())
	tor = f.get(t, []string{"status", "percentDone", "name", "totalSize"}, nil)[0]
	require.EqualValues(t, statusStopped, tor["status"])
	require.EqualValues(t, 1, tor["percentDone"], "a stopped torrent keeps its last figures")
	require.Equal(t, "life", tor["name"])
	var ss map[string]any
	require.Equal(t, "success", f.call(t, "session-stats", nil, &ss))
	require.EqualValues(t, 1, ss["pausedTorrentCount"])

	// A new server on the same state keeps the id and the paused state.
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	srv2.Resume()
	require.Empty(t, f.c.List(), "a paused torrent stays paused")
	e, ok := srv2.st.get(1)
	require.True(t, ok)
	require.True(t, e.Paused)
	require.Equal(t, []string{"linux"}, e.Labels)

	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": []any{hash}}, nil))
	require.Len(t, f.c.List(), 1)
	waitFor(t, "seeding again", func() bool { return f.get(t, []string{"status"}, nil)[0]["status"] == float64(statusSeed) })
	require.Equal(t, "success", f.call(t, "torrent-verify", map[string]any{"ids": 1}, nil))
	waitFor(t, "seeding after verify", func() bool { return f.get(t, []string{"status"}, nil)[0]["status"] == float64(statusSeed) })

	require.Equal(t, "success", f.call(t, "torrent-remove", map[string]any{"ids": []any{1}, "delete-local-data": true}, nil))
	require.Empty(t, f.get(t, []string{"id"}, nil))
	require.Empty(t, f.c.List())
	for n := range files {
		require.NoFileExists(t, filepath.Join(f.dir, "life", n))
	}
	data, err := os.ReadFile(f.state)
	require.NoError(t, err)
	require.NotContains(t, string(data), hash, "the state file forgets a removed torrent")
}

func TestAddPausedByFilenameWithUnwantedFiles(t *testing.T) {
	f := newFixture(t, nil)
	other := t.TempDir()
	raw, _ := makeTorrent(t, other, "part", true)
	file := filepath.Join(t.TempDir(), "part.torrent")
	require.NoError(t, os.WriteFile(file, raw, 0o644))

	var added map[string]map[string]any
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"filename": file, "paused": true,
		"download-dir": other, "files-unwanted": []int{1}}, &added))
	require.EqualValues(t, 1, added["torrent-added"]["id"])
	require.Empty(t, f.c.List(), "added paused: not running")
	tor := f.get(t, []string{"status", "downloadDir", "wanted", "sizeWhenDone", "totalSize", "fileStats"}, nil)[0]
	require.EqualValues(t, statusStopped, tor["status"])
	require.Equal(t, other, tor["downloadDir"])
	require.Equal(t, []any{float64(1), float64(0)}, tor["wanted"])
	require.EqualValues(t, 70_000, tor["sizeWhenDone"])
	require.EqualValues(t, 100_000, tor["totalSize"])
	require.Equal(t, false, tor["fileStats"].([]any)[1].(map[string]any)["wanted"])

	// The unwanted file lacks the pieces it does not share with a.bin:
	// the wanted data is complete, the torrent is not.
	require.NoError(t, os.Truncate(filepath.Join(other, "part", "b.bin"), 5*16384-70_000))
	require.Equal(t, "success", f.call(t, "torrent-start-now", map[string]any{"ids": 1}, nil))
	waitFor(t, "checked", func() bool {
		return f.get(t, []string{"leftUntilDone"}, nil)[0]["leftUntilDone"] == float64(0)
	})
	g, err := f.c.Get(f.c.List()[0], "save_path", "state")
	require.NoError(t, err)
	require.Equal(t, other, g["save_path"])
	require.Equal(t, "finished", g["state"])
	require.EqualValues(t, statusSeed, f.get(t, []string{"status"}, nil)[0]["status"], "finished is Transmission's seed status")

	// A magnet for the same torrent is a duplicate.
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	added = nil
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"filename": "magnet:?xt=urn:btih:" + braid.InfoHash(mi.InfoHash).String()}, &added))
	require.Contains(t, added, "torrent-duplicate")

	// A stopped torrent is removed with its data too.
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.Empty(t, f.c.List())
	require.FileExists(t, filepath.Join(other, "part", "a.bin"))
	require.Equal(t, "success", f.call(t, "torrent-remove", map[string]any{"ids": []any{1}, "delete-local-data": true}, nil))
	require.Empty(t, f.get(t, []string{"id"}, nil))
	require.NoFileExists(t, filepath.Join(other, "part", "a.bin"))
	saved, err := f.c.Saved()
	require.NoError(t, err)
	require.Empty(t, saved, "the resume record is gone")
}

func TestCorruptStateFileRefused(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "daemon.json")
	require.NoError(t, os.WriteFile(state, []byte("{not json"), 0o600))
	c := newClient(t, dir)
	defer c.Close()
	_, err := New(Config{Client: c, StateFile: state})
	require.Error(t, err)
	data, _ := os.ReadFile(state)
	require.Equal(t, "{not json", string(data), "left as it was")
}

func TestIsLoopbackAddr(t *testing.T) {
	for _, a := range []string{"127.0.0.1:9091", "[::1]:9091", "localhost:9091", "127.1.2.3:1"} {
		require.True(t, IsLoopbackAddr(a), a)
	}
	for _, a := range []string{"0.0.0.0:9091", ":9091", "[::]:9091", "192.168.1.2:9091", "example.org:9091", "garbage"} {
		require.False(t, IsLoopbackAddr(a), a)
	}
}

// TestResumeAdoptsRecords: a torrent with a resume record the daemon state
// does not know (from `braid download`, say) is resumed with an id.
func TestResumeAdoptsRecords(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "adopt", true)
	tor, err := f.c.DownloadBytes(t.Context(), raw, braid.WithDir(f.dir))
	require.NoError(t, err)
	require.NoError(t, f.c.StopAndSerialize(tor.InfoHash()))
	require.Empty(t, f.c.List())

	f.srv.Resume()
	require.Equal(t, []braid.InfoHash{tor.InfoHash()}, f.c.List())
	ts := f.get(t, []string{"id", "name", "hashString", "downloadDir"}, nil)
	require.Len(t, ts, 1)
	require.EqualValues(t, 1, ts[0]["id"])
	require.Equal(t, "adopt", ts[0]["name"])
	require.Equal(t, f.dir, ts[0]["downloadDir"])
	data, err := os.ReadFile(f.state)
	require.NoError(t, err)
	require.Contains(t, string(data), tor.InfoHash().String(), "adopted into the state file")
}

// TestResumeAdoptsSeedsBeyondTheDownloadQueue: adopted records whose
// completeness the daemon has not seen all start; complete ones seed and
// take no download room.
func TestResumeAdoptsSeedsBeyondTheDownloadQueue(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"download-queue-size": 1}, nil))
	for _, n := range []string{"ad1", "ad2", "ad3"} {
		raw, _ := makeTorrent(t, f.dir, n, true)
		tor, err := f.c.DownloadBytes(t.Context(), raw, braid.WithDir(f.dir))
		require.NoError(t, err)
		<-tor.Checked()
		require.NoError(t, f.c.StopAndSerialize(tor.InfoHash()))
	}
	f.srv.Resume()
	require.Len(t, f.c.List(), 3)
	for id := 1; id <= 3; id++ {
		waitFor(t, "seeding", func() bool { return status(t, f, id) == statusSeed })
	}
	f.srv.tick(time.Now())
	require.Len(t, f.c.List(), 3, "seeds take no download room")
}

// TestWatchDir drops a good and a bad .torrent file in a watched
// directory: both are renamed by outcome, the good one is listed.
func TestWatchDir(t *testing.T) {
	f := newFixture(t, nil)
	watch := t.TempDir()
	raw, _ := makeTorrent(t, f.dir, "watched", false)
	require.NoError(t, os.WriteFile(filepath.Join(watch, "good.torrent"), raw, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(watch, "bad.torrent"), []byte("not bencode"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(watch, "notes.txt"), []byte("x"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.srv.Watch(ctx, watch, 50*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "both files renamed", func() bool {
		_, e1 := os.Stat(filepath.Join(watch, "good.torrent.added"))
		_, e2 := os.Stat(filepath.Join(watch, "bad.torrent.invalid"))
		return e1 == nil && e2 == nil
	})
	_, err := os.Stat(filepath.Join(watch, "notes.txt"))
	require.NoError(t, err, "other files are left alone")
	ts := f.get(t, []string{"id", "name"}, nil)
	require.Len(t, ts, 1)
	require.Equal(t, "watched", ts[0]["name"])
}

// TestWatchDirWaitsForGrowingFile: a file whose size changes between
// scans is not taken.
func TestWatchDirWaitsForGrowingFile(t *testing.T) {
	f := newFixture(t, nil)
	watch := t.TempDir()
	raw, _ := makeTorrent(t, f.dir, "growing", false)
	file := filepath.Join(watch, "g.torrent")
	seen := map[string]watchSeen{}
	require.NoError(t, os.WriteFile(file, raw[:len(raw)/2], 0o644))
	f.srv.scanWatchDir(watch, seen)
	require.NoError(t, os.WriteFile(file, raw, 0o644))
	f.srv.scanWatchDir(watch, seen)
	_, err := os.Stat(file)
	require.NoError(t, err, "a file that changed between scans waits")
	f.srv.scanWatchDir(watch, seen)
	_, err = os.Stat(file + ".added")
	require.NoError(t, err)
	require.Len(t, f.get(t, []string{"id"}, nil), 1)
}

// TestTorrentSet changes labels and wanted files (a running torrent takes
// the new choice without stopping); refused keys and bad input change
// nothing.
func TestTorrentSet(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "set", true)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	waitFor(t, "seeding", func() bool { return f.get(t, []string{"status"}, nil)[0]["status"] == float64(statusSeed) })

	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": []any{1}, "labels": []string{"a", "b"}}, nil))
	require.Equal(t, []any{"a", "b"}, f.get(t, []string{"labels"}, nil)[0]["labels"])

	before, _ := f.srv.st.get(1)
	running := f.srv.active(before)
	require.NotNil(t, running)
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "files-unwanted": []int{1}}, nil))
	require.Equal(t, []any{float64(1), float64(0)}, f.get(t, []string{"wanted"}, nil)[0]["wanted"])
	require.Same(t, running, f.srv.active(before), "the same torrent, not restarted")
	prios, err := running.FilePriorities()
	require.NoError(t, err)
	require.Equal(t, []braid.FilePriority{braid.FileNormal, braid.FileSkip}, prios)
	waitFor(t, "seeding the wanted file", func() bool {
		tor := f.get(t, []string{"status", "sizeWhenDone"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["sizeWhenDone"] == float64(70_000)
	})
	e, _ := f.srv.st.get(1)
	require.Equal(t, []int{1}, e.Unwanted)

	// Bad input: the answer names it and nothing changes.
	for _, bad := range []map[string]any{
		{"ids": 1, "files-unwanted": []int{0}, "labels": []string{"x"}}, // every file unwanted
		{"ids": 1, "files-wanted": []int{5}, "labels": []string{"x"}},
		{"ids": 1, "files-wanted": "zero", "labels": []string{"x"}},
		{"ids": 1, "labels": []string{"a,b"}},
		{"ids": 1, "labels": []string{""}},
		{"ids": 1, "labels": "x"},
		{"ids": 1, "priority-high": []int{2}, "labels": []string{"x"}},
		{"ids": 1, "priority-low": []int{-1}, "labels": []string{"x"}},
		{"ids": 1, "priority-normal": "all", "labels": []string{"x"}},
		{"ids": 1, "priority-high": []int{0}, "files-unwanted": []int{0}, "labels": []string{"x"}}, // every file unwanted
		{"ids": 1, "downloadLimit": -1, "downloadLimited": true, "labels": []string{"x"}},
		{"ids": 1, "honorsSessionLimits": "no", "labels": []string{"x"}},
		{"ids": 1, "bandwidthPriority": 2, "labels": []string{"x"}},
		{"ids": 1, "peer-limit": 0, "labels": []string{"x"}},
		{"ids": 1, "trackerAdd": []string{"t.example/announce"}, "labels": []string{"x"}},
		{"ids": 1, "sequentialDownload": "on", "labels": []string{"x"}},
		{"ids": 1, "group": "g", "labels": []string{"x"}},
		{"ids": 1, "uploadLimited": 2, "labels": []string{"x"}},
		{"ids": map[string]any{}, "labels": []string{"x"}},
	} {
		res := f.call(t, "torrent-set", bad, nil)
		require.NotEqual(t, "success", res, "%v", bad)
		after, _ := f.srv.st.get(1)
		require.Equal(t, e, after, "%v changed nothing", bad)
	}
	// What Braid does anyway is accepted.
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "downloadLimited": false,
		"honorsSessionLimits": true, "priority-normal": []int{}, "bandwidthPriority": 0}, nil))

	// Stopped: the choice is kept for the next start. An empty array names every file.
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": 1}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": "recently-active", "files-wanted": []int{}}, nil))
	require.Empty(t, f.c.List(), "a stopped torrent stays stopped")
	e, _ = f.srv.st.get(1)
	require.Empty(t, e.Unwanted)
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": 1}, nil))
	waitFor(t, "seeding every file", func() bool {
		tor := f.get(t, []string{"status", "sizeWhenDone"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["sizeWhenDone"] == float64(100_000)
	})
}
