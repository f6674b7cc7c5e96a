//go:build !js

package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid/internal/braidbin"
	"github.com/braid-bt/braid/rpc"
	"github.com/stretchr/testify/require"
)

func TestDaemonWebRoot(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	for _, f := range daemonWebFiles {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644))
	}
	got, err := daemonWebRoot(dir, logger)
	require.NoError(t, err)
	require.Equal(t, dir, got)

	require.NoError(t, os.Remove(filepath.Join(dir, "rpc-backend.js")))
	_, err = daemonWebRoot(dir, logger)
	require.ErrorContains(t, err, "rpc-backend.js is missing")
	_, err = daemonWebRoot(filepath.Join(dir, "nope"), logger)
	require.ErrorContains(t, err, "index.html is missing")

	// No flag and no web/ here (the test binary's directory, cmd/native):
	// the RPC runs alone.
	got, err = daemonWebRoot("", logger)
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestDaemonServesTheWebPage runs `braid daemon --web-root web/`: the page
// at /, its modules with their types, the marker, the RPC beside them;
// with --no-web only the marker and the RPC.
func TestDaemonServesTheWebPage(t *testing.T) {
	bin := daemonBinary(t)
	root, err := braidbin.RepoRoot()
	require.NoError(t, err)
	get := func(url string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	for _, noWeb := range []bool{false, true} {
		work := t.TempDir()
		addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
		args := []string{"--rpc", addr, "--dir", filepath.Join(work, "data"), "--state-dir", filepath.Join(work, "state"),
			"--listen", "127.0.0.1:0", "--no-dht", "--no-port-mapping", "--no-webrtc", "--no-lsd"}
		if noWeb {
			args = append(args, "--no-web")
		} else {
			args = append(args, "--web-root", filepath.Join(root, "web"))
		}
		d := startDaemon(t, bin, args...)
		base := "http://" + addr
		deadline := time.Now().Add(20 * time.Second)
		for {
			if resp, err := http.Get(base + rpc.MarkerPath); err == nil {
				resp.Body.Close()
				break
			}
			require.True(t, time.Now().Before(deadline), "the daemon did not come up; stderr:\n%s", d.stderr.String())
			time.Sleep(100 * time.Millisecond)
		}
		code, ctype, body := get(base + rpc.MarkerPath)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "application/json", ctype)
		require.JSONEq(t, `{"braid":"daemon","rpc":"/transmission/rpc","auth":false}`, body)
		resp, err := http.Post(base+rpc.Path, "application/json", strings.NewReader(`{"method":"session-get"}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusConflict, resp.StatusCode, "the RPC's handshake")
		require.NotEmpty(t, resp.Header.Get("X-Transmission-Session-Id"))

		code, ctype, body = get(base + "/")
		if noWeb {
			require.Equal(t, http.StatusNotFound, code)
			d.stop(t)
			continue
		}
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "text/html; charset=utf-8", ctype)
		require.Contains(t, body, `<script type="module" src="app.js">`)
		for _, f := range []string{"app.js", "rpc-backend.js", "daemon-ui.js"} {
			code, ctype, body = get(base + "/" + f)
			require.Equal(t, http.StatusOK, code, f)
			require.Equal(t, "text/javascript; charset=utf-8", ctype, f)
			want, err := os.ReadFile(filepath.Join(root, "web", f))
			require.NoError(t, err)
			require.Equal(t, string(want), body, f)
		}
		code, _, _ = get(base + "/e2e/run.sh")
		require.Equal(t, http.StatusNotFound, code, "the test harness beside the page is not served")
		require.Contains(t, d.stderr.String(), "web=http://"+addr+"/")
		d.stop(t)
	}
}

// TestWebDoesNotClaimToBeADaemon: `braid web` (the engine in the tab)
// does not answer the daemon's marker, so the page served there keeps
// its in-tab engine.
func TestWebDoesNotClaimToBeADaemon(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644))
	srv := httptest.NewServer(webHandler(dir, webConfig{}, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + rpc.MarkerPath)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, err = http.Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestWebRevalidatesThePageByETag: `braid web` serves the page's files
// with an ETag of their content and no-cache: a 304 while braid.wasm is
// unchanged (Chromium keeps the code it compiled), its new bytes after a
// rebuild, and nothing outside the top of the web root.
func TestWebRevalidatesThePageByETag(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "web")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "e2e"), 0o755))
	for name, body := range map[string]string{
		"index.html": "<!doctype html>", "braid.wasm": "\x00asm", "e2e/x.js": "harness", ".dot.js": "dot", "../out.js": "outside",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(parent, "out.js"), filepath.Join(dir, "link.js")))
	srv := httptest.NewServer(webHandler(dir, webConfig{}, nil))
	defer srv.Close()
	get := func(p, inm string) (int, http.Header, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		require.NoError(t, err)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header, string(b)
	}
	code, h, body := get("/braid.wasm", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "\x00asm", body)
	require.Equal(t, "application/wasm", h.Get("Content-Type"))
	require.Equal(t, "no-cache", h.Get("Cache-Control"))
	tag := h.Get("ETag")
	require.Regexp(t, `^"[0-9a-f]{32}"$`, tag)

	code, _, body = get("/braid.wasm", tag)
	require.Equal(t, http.StatusNotModified, code)
	require.Empty(t, body)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "braid.wasm"), []byte("\x00asm\x02"), 0o644))
	code, h, body = get("/braid.wasm", tag)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "\x00asm\x02", body)
	require.NotEqual(t, tag, h.Get("ETag"))

	code, h, body = get("/", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "<!doctype html>", body)
	require.NotEmpty(t, h.Get("ETag"))
	for _, p := range []string{"/e2e/x.js", "/.dot.js", "/link.js", "/missing.js", "/e2e"} {
		code, _, body = get(p, "")
		require.Equal(t, http.StatusNotFound, code, p)
		require.NotContains(t, body, "outside", p)
		require.NotContains(t, body, "harness", p)
	}
}
