package rpc

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// webFixture serves srv.Handler over a web root holding a small page, a
// subdirectory, a dot file and a link out of the root.
func webFixture(t *testing.T, mod func(*Config)) (*fixture, *httptest.Server, string) {
	t.Helper()
	f := newFixture(t, mod)
	parent := t.TempDir()
	root := filepath.Join(parent, "web")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "e2e"), 0o755))
	for name, body := range map[string]string{
		"index.html": "<!doctype html><title>Braid</title>", "app.js": "export const x = 1\n", "style.css": "body{}\n",
		"braid.wasm": "\x00asm", "notes.txt": "not part of the page", ".hidden.js": "secret",
		"e2e/test.js": "harness", "../secret.js": "outside the root",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(parent, "secret.js"), filepath.Join(root, "link.js")))
	ts := httptest.NewServer(f.srv.Handler(root))
	t.Cleanup(ts.Close)
	return f, ts, root
}

// rawGet sends path exactly as given (no client-side cleaning) with the
// Host header host, and returns the status, headers and body.
func rawGet(t *testing.T, ts *httptest.Server, method, path, host string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.Listener.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	req := method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	for k, v := range header {
		req += k + ": " + v + "\r\n"
	}
	if method == http.MethodPost {
		req += "Content-Length: 0\r\n"
	}
	_, err = io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(body)
}

func TestWebServesThePageWithItsTypes(t *testing.T) {
	_, ts, _ := webFixture(t, nil)
	for _, c := range []struct{ path, ctype, body string }{
		{"/", "text/html; charset=utf-8", "<!doctype html><title>Braid</title>"},
		{"/index.html", "text/html; charset=utf-8", "<!doctype html><title>Braid</title>"},
		{"/app.js", "text/javascript; charset=utf-8", "export const x = 1\n"},
		{"/style.css", "text/css; charset=utf-8", "body{}\n"},
		{"/braid.wasm", "application/wasm", "\x00asm"},
	} {
		code, h, body := rawGet(t, ts, http.MethodGet, c.path, "127.0.0.1", nil)
		require.Equal(t, http.StatusOK, code, c.path)
		require.Equal(t, c.ctype, h.Get("Content-Type"), c.path)
		require.Equal(t, c.body, body, c.path)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), c.path)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), c.path)
		require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'", c.path)
	}
	code, _, body := rawGet(t, ts, http.MethodHead, "/app.js", "localhost", nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, body)
	code, h, _ := rawGet(t, ts, http.MethodPost, "/app.js", "127.0.0.1", nil)
	require.Equal(t, http.StatusMethodNotAllowed, code)
	require.Equal(t, "GET, HEAD", h.Get("Allow"))
	code, h, _ = rawGet(t, ts, http.MethodGet, "/transmission/web/", "127.0.0.1", nil)
	require.Equal(t, http.StatusMovedPermanently, code)
	require.Equal(t, "/", h.Get("Location"))
}

func TestWebServesNothingOutsideThePage(t *testing.T) {
	_, ts, _ := webFixture(t, nil)
	for _, p := range []string{
		"/../secret.js", "/%2e%2e/secret.js", "/..%2fsecret.js", "/..%5csecret.js", "/e2e/test.js", "/e2e%2ftest.js",
		"/.hidden.js", "/link.js", "/notes.txt", "/missing.js", "/e2e", "//etc/passwd", "/app.js%00.css", "/braid/",
	} {
		code, _, body := rawGet(t, ts, http.MethodGet, p, "127.0.0.1", nil)
		require.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest}, code, p)
		require.NotContains(t, body, "outside the root", p)
		require.NotContains(t, body, "harness", p)
		require.NotContains(t, body, "secret\n", p)
	}
}

func TestWebMarkerTellsThePageItIsADaemon(t *testing.T) {
	for _, auth := range []bool{false, true} {
		_, ts, _ := webFixture(t, func(c *Config) {
			if auth {
				c.Username, c.Password = "u", "p"
			}
		})
		code, h, body := rawGet(t, ts, http.MethodGet, MarkerPath, "localhost:9091", nil)
		require.Equal(t, http.StatusOK, code, "the marker needs no credentials")
		require.Equal(t, "application/json", h.Get("Content-Type"))
		require.Equal(t, "no-store", h.Get("Cache-Control"))
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		require.Equal(t, map[string]any{"braid": "daemon", "rpc": Path, "auth": auth}, m)
	}
	// Without a web root the marker and the RPC remain; "/" says why it is empty.
	f := newFixture(t, nil)
	ts := httptest.NewServer(f.srv.Handler(""))
	defer ts.Close()
	code, _, _ := rawGet(t, ts, http.MethodGet, MarkerPath, "127.0.0.1", nil)
	require.Equal(t, http.StatusOK, code)
	code, _, body := rawGet(t, ts, http.MethodGet, "/", "127.0.0.1", nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "--web-root")
}

func TestWebRPCStillAnswersBesideThePage(t *testing.T) {
	f, ts, _ := webFixture(t, nil)
	code, h, _ := rawGet(t, ts, http.MethodPost, Path, "127.0.0.1", nil)
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, f.srv.SessionID(), h.Get("X-Transmission-Session-Id"))
	req, err := http.NewRequest(http.MethodPost, ts.URL+Path, strings.NewReader(`{"method":"session-get","arguments":{"fields":["rpc-version"]}}`))
	require.NoError(t, err)
	req.Header.Set("X-Transmission-Session-Id", f.srv.SessionID())
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var a struct {
		Result    string         `json:"result"`
		Arguments map[string]any `json:"arguments"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
	require.Equal(t, "success", a.Result)
	require.EqualValues(t, RPCVersion, a.Arguments["rpc-version"])
}

func TestWebRPCUnauthorizedChallengesOnlyOtherClients(t *testing.T) {
	_, ts, _ := webFixture(t, func(c *Config) { c.Username, c.Password = "u", "p" })
	code, h, _ := rawGet(t, ts, http.MethodPost, Path, "127.0.0.1", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, `Basic realm="Transmission"`, h.Get("WWW-Authenticate"), "transmission-remote and other clients get the challenge")
	code, h, _ = rawGet(t, ts, http.MethodPost, Path, "127.0.0.1", map[string]string{WebClientHeader: "web"})
	require.Equal(t, http.StatusUnauthorized, code)
	require.Empty(t, h.Get("WWW-Authenticate"), "the page signs in with its own form")
	// The page itself needs no credentials.
	code, _, _ = rawGet(t, ts, http.MethodGet, "/", "127.0.0.1", nil)
	require.Equal(t, http.StatusOK, code)
}

func TestWebHostAllowListCoversThePage(t *testing.T) {
	_, ts, _ := webFixture(t, func(c *Config) { c.AllowedHosts = []string{"nas.example.org"} })
	for _, p := range []string{"/", "/app.js", MarkerPath, "/missing.js", Path} {
		method := http.MethodGet
		if p == Path {
			method = http.MethodPost
		}
		code, _, body := rawGet(t, ts, method, p, "evil.example.com", nil)
		require.Equal(t, http.StatusMisdirectedRequest, code, p)
		require.NotContains(t, body, "export const", p)
		code, _, _ = rawGet(t, ts, method, p, "evil.example.com:9091", nil)
		require.Equal(t, http.StatusMisdirectedRequest, code, p)
	}
	for _, host := range []string{"nas.example.org", "NAS.example.org:9091", "127.0.0.1:9091", "[::1]:9091", "localhost"} {
		code, _, _ := rawGet(t, ts, http.MethodGet, "/app.js", host, nil)
		require.Equal(t, http.StatusOK, code, host)
	}
}

// FuzzWebPath: whatever the request path, the page's handler serves one
// of the page's own top-level files or nothing (never the file beside
// the root, a dot file or the subdirectory's, never a panic).
func FuzzWebPath(f *testing.F) {
	for _, p := range []string{"/", "/app.js", "/../secret.js", "/e2e/test.js", "/.hidden.js", "/link.js", "//x", "/a\x00.js", "/app.js/", MarkerPath} {
		f.Add(p)
	}
	dir := f.TempDir()
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: filepath.Join(dir, ".state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true, NoUTP: true})
	require.NoError(f, err)
	f.Cleanup(func() { _ = c.Close() })
	srv, err := New(Config{Client: c, DownloadDir: f.TempDir()})
	require.NoError(f, err)
	parent := f.TempDir()
	root := filepath.Join(parent, "web")
	require.NoError(f, os.MkdirAll(filepath.Join(root, "e2e"), 0o755))
	page := map[string]string{"index.html": "<!doctype html>", "app.js": "export {}\n"}
	for name, body := range map[string]string{"index.html": page["index.html"], "app.js": page["app.js"],
		".hidden.js": "hidden", "e2e/test.js": "harness", "../secret.js": "secret"} {
		require.NoError(f, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	require.NoError(f, os.Symlink(filepath.Join(parent, "secret.js"), filepath.Join(root, "link.js")))
	h := srv.Handler(root)
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		req.Host = "127.0.0.1"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			require.Less(t, w.Code, 500, "path %q", p)
			return
		}
		switch {
		case p == MarkerPath:
			require.Contains(t, body, `"braid":"daemon"`)
		case p == "/" || p == "":
			require.Equal(t, page["index.html"], body)
		default:
			want, ok := page[strings.TrimPrefix(p, "/")]
			require.True(t, ok, "path %q served %q", p, body)
			require.Equal(t, want, body)
		}
	})
}

// TestWebRevalidatesThePageByETag: the page's files carry an ETag of their
// content with no-cache, so a reload gets a 304 while braid.wasm is
// unchanged (the browser keeps its compiled code) and the new bytes after
// an upgrade.
func TestWebRevalidatesThePageByETag(t *testing.T) {
	_, ts, root := webFixture(t, nil)
	code, h, body := rawGet(t, ts, http.MethodGet, "/braid.wasm", "127.0.0.1", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "\x00asm", body)
	require.Equal(t, "no-cache", h.Get("Cache-Control"))
	tag := h.Get("ETag")
	require.Regexp(t, `^"[0-9a-f]{32}"$`, tag)

	code, h, body = rawGet(t, ts, http.MethodGet, "/braid.wasm", "127.0.0.1", map[string]string{"If-None-Match": tag})
	require.Equal(t, http.StatusNotModified, code)
	require.Empty(t, body)
	require.Equal(t, tag, h.Get("ETag"))

	require.NoError(t, os.WriteFile(filepath.Join(root, "braid.wasm"), []byte("\x00asm\x01"), 0o644))
	code, h, body = rawGet(t, ts, http.MethodGet, "/braid.wasm", "127.0.0.1", map[string]string{"If-None-Match": tag})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "\x00asm\x01", body)
	require.NotEqual(t, tag, h.Get("ETag"))
	require.Equal(t, "application/wasm", h.Get("Content-Type"))
}
