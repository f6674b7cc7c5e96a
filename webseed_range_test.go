package braid_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// startPythonHTTPServer serves dir with Python's http.server on a free
// loopback port. It answers Range requests with 200 and the whole file.
// The test fails, not skips, without python3.
func startPythonHTTPServer(t *testing.T, dir string) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "python3 is needed for this test")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	require.NoError(t, l.Close())
	cmd := exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", port, "--directory", dir)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return "http://" + addr + "/"
		}
		require.True(t, time.Now().Before(deadline), "python http.server not listening on %s: %v", addr, err)
		time.Sleep(20 * time.Millisecond)
	}
}

// singleFileFixture is a single-file torrent of n random bytes, the file
// at srcDir/name.
func singleFileFixture(t *testing.T, pieceLen int64, n int) swarmFixture {
	t.Helper()
	dir := t.TempDir()
	data := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "single.bin"), data, 0o644))
	tb, err := metainfo.Create(metainfo.CreateOptions{
		Name: "single.bin", SingleFile: true, PieceLength: pieceLen,
		Files: []metainfo.FileSpec{{Path: []string{"single.bin"}, Length: int64(n)}},
	}, bytes.NewReader(data))
	require.NoError(t, err)
	return swarmFixture{srcDir: dir, torrent: tb, files: map[string][]byte{"single.bin": data}}
}

// webSeedStats is the torrent's "webseeds" stats field.
func webSeedStats(t *testing.T, c *braid.Client, tor *braid.Torrent) []braid.WebSeedInfo {
	t.Helper()
	st, err := c.Stats(tor.InfoHash(), "webseeds")
	require.NoError(t, err)
	return st["webseeds"].([]braid.WebSeedInfo)
}

// A web seed that ignores Range (Python's http.server answers 200 with the
// whole file) and one that honours it (net/http's FileServer) both deliver
// a web-seed-only download, multi-file (BEP 19: url + name + path, one
// file larger than webseed.MaxWholeFile) and single-file.
func TestWebSeedIgnoringRange(t *testing.T) {
	multi := makeFixture(t, 32<<10, 5_000_000, 300_000, 50_000, 1)
	single := singleFileFixture(t, 16<<10, 5_000_000)
	for _, server := range []string{"python", "fileserver"} {
		for _, kind := range []string{"multi", "single"} {
			t.Run(server+"/"+kind, func(t *testing.T) {
				fx := multi
				if kind == "single" {
					fx = single
				}
				var base string
				if server == "python" {
					base = startPythonHTTPServer(t, fx.srcDir)
				} else {
					srv := httptest.NewServer(http.FileServer(http.Dir(fx.srcDir)))
					t.Cleanup(srv.Close)
					base = srv.URL + "/"
				}
				if kind == "single" {
					base += "single.bin"
				}
				dst := t.TempDir()
				c := newTestClient(t, dst)
				start := time.Now()
				tor, err := c.DownloadBytes(context.Background(), withURLList(t, fx, base))
				require.NoError(t, err)
				waitDone(t, tor, 30*time.Second)
				t.Logf("%s %s: complete in %s", server, kind, time.Since(start))
				requireSameFiles(t, fx, dst)
				ws := webSeedStats(t, c, tor)
				require.Len(t, ws, 1)
				require.Equal(t, braid.WebSeedInfo{URL: base, State: "ok", IgnoresRange: server == "python"}, ws[0])
			})
		}
	}
}

// A web seed whose length contradicts the torrent's (a declared length
// shorter or longer than the file, or a body ending before its declared
// length) is dropped, with the reason in stats, and no longer a peer.
func TestWebSeedLyingAboutLengthIsDropped(t *testing.T) {
	fx := singleFileFixture(t, 16<<10, 300_000)
	data := fx.files["single.bin"]
	for _, tc := range []struct {
		name, reason string
		h            http.HandlerFunc
	}{
		{"declared short", "Content-Length 299000, want 300000", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "299000")
			_, _ = w.Write(data[:299000])
		}},
		{"declared long", "Content-Length 300001, want 300000", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "300001")
			_, _ = w.Write(append(append([]byte(nil), data...), 0))
		}},
		{"body short", "body ended after 100000 of 300000 bytes", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			_, _ = w.Write(data[:100000]) // then the connection closes
		}},
		{"wrong Content-Range total", "says the file has 300003 bytes", func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "single.bin", time.Time{}, bytes.NewReader(append(append([]byte(nil), data...), 1, 2, 3)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			t.Cleanup(srv.Close)
			c := newTestClient(t, t.TempDir())
			tor, err := c.DownloadBytes(context.Background(), withURLList(t, fx, srv.URL+"/single.bin"))
			require.NoError(t, err)
			deadline := time.Now().Add(15 * time.Second)
			for {
				ws := webSeedStats(t, c, tor) // empty until the torrent is checked
				require.LessOrEqual(t, len(ws), 1)
				if len(ws) == 1 && ws[0].State == "disabled" {
					require.Contains(t, ws[0].Reason, tc.reason)
					break
				}
				require.True(t, time.Now().Before(deadline), "web seed not dropped: %+v", ws)
				time.Sleep(20 * time.Millisecond)
			}
			require.Eventually(t, func() bool {
				st, err := c.Stats(tor.InfoHash(), "peers_by_transport")
				require.NoError(t, err)
				return st["peers_by_transport"].(map[string]int)["webseed"] == 0
			}, 10*time.Second, 20*time.Millisecond, "the dropped web seed is no longer a peer")
			st, err := c.Stats(tor.InfoHash(), "left")
			require.NoError(t, err)
			require.Equal(t, int64(len(data)), st["left"], "nothing was taken from it")
		})
	}
}
