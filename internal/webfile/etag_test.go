package webfile

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tagOfFile opens path and asks e for its tag.
func tagOfFile(t *testing.T, e *ETags, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	tag, err := e.Of(filepath.Base(path), f, fi)
	require.NoError(t, err)
	pos, err := f.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	require.Zero(t, pos, "the file is left at its start")
	return tag
}

func TestETagFollowsTheContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "braid.wasm")
	var e ETags
	require.NoError(t, os.WriteFile(p, []byte("\x00asm version one"), 0o644))
	one := tagOfFile(t, &e, p)
	require.Regexp(t, `^"[0-9a-f]{32}"$`, one, "a strong, quoted tag")
	require.Equal(t, one, tagOfFile(t, &e, p), "same file, same tag")

	// Rewritten with the same bytes (a rebuild that changed nothing): the
	// tag stays, so browsers keep their cached copy and compiled code.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.WriteFile(p, []byte("\x00asm version one"), 0o644))
	require.NoError(t, os.Chtimes(p, later, later))
	require.Equal(t, one, tagOfFile(t, &e, p))

	// New content of the same size: a new tag.
	require.NoError(t, os.WriteFile(p, []byte("\x00asm version two"), 0o644))
	require.NoError(t, os.Chtimes(p, later.Add(time.Millisecond), later.Add(time.Millisecond)))
	two := tagOfFile(t, &e, p)
	require.NotEqual(t, one, two)
	var fresh ETags
	require.Equal(t, two, tagOfFile(t, &fresh, p), "the tag depends on the content only")
}

func TestServeRevalidatesByETag(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "braid.wasm")
	require.NoError(t, os.WriteFile(p, []byte("\x00asm old build"), 0o644))
	second := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(p, second, second))
	var e ETags
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(p)
		require.NoError(t, err)
		defer f.Close()
		fi, err := f.Stat()
		require.NoError(t, err)
		w.Header().Set("Content-Type", "application/wasm")
		e.Serve(w, r, "braid.wasm", f, fi)
	}))
	defer srv.Close()
	get := func(hdr map[string]string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/braid.wasm", nil)
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, body := get(nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "\x00asm old build", body)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	tag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	require.NotEmpty(t, tag)

	// The browser's revalidation of an unchanged file: 304, no body.
	resp, body = get(map[string]string{"If-None-Match": tag, "If-Modified-Since": lastMod})
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
	require.Empty(t, body)
	require.Equal(t, tag, resp.Header.Get("ETag"))

	// An upgrade within the same second (Last-Modified has whole seconds,
	// so it alone would answer 304 and keep the old wasm): the new bytes.
	require.NoError(t, os.WriteFile(p, []byte("\x00asm new build"), 0o644))
	require.NoError(t, os.Chtimes(p, second.Add(300*time.Millisecond), second.Add(300*time.Millisecond)))
	resp, body = get(map[string]string{"If-None-Match": tag, "If-Modified-Since": lastMod})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "\x00asm new build", body)
	require.NotEqual(t, tag, resp.Header.Get("ETag"))
}

// ServeFrom serves regular files at the top of its directory only: a link
// out of it, a folder and a missing name are 404s.
func TestServeFromStaysInItsDirectory(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "page.js"), []byte("ok"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "link.js")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	var e ETags
	get := func(name string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		e.ServeFrom(w, httptest.NewRequest(http.MethodGet, "/"+name, nil), dir, name)
		return w
	}
	w := get("page.js")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "ok", w.Body.String())
	require.NotEmpty(t, w.Header().Get("ETag"))
	for _, name := range []string{"link.js", "sub", "missing.js", "../" + filepath.Base(filepath.Dir(outside)) + "/secret.txt"} {
		w := get(name)
		require.Equal(t, http.StatusNotFound, w.Code, name)
		require.NotContains(t, w.Body.String(), "secret", name)
	}
	w = httptest.NewRecorder()
	e.ServeFrom(w, httptest.NewRequest(http.MethodGet, "/x", nil), filepath.Join(dir, "none"), "x")
	require.Equal(t, http.StatusInternalServerError, w.Code, "a missing root")
}
