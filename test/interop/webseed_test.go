package interop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// webSeed is a BEP 19 web seed started inside the test: Go's net/http
// serving the files under root, with Range support. A lying one inverts
// every byte it serves (lengths and headers stay right).
type webSeed struct {
	url      string
	requests atomic.Int64
	served   atomic.Int64 // body bytes written

	mu    sync.Mutex
	asked map[string]int // "path range" -> times asked
}

// repeats counts requests for a path and range asked before.
func (ws *webSeed) repeats() int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	n := 0
	for _, k := range ws.asked {
		n += k - 1
	}
	return n
}

func startWebSeed(t *testing.T, root string, lie bool) *webSeed {
	t.Helper()
	ws := &webSeed{asked: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.requests.Add(1)
		ws.mu.Lock()
		ws.asked[r.URL.Path+" "+r.Header.Get("Range")]++
		ws.mu.Unlock()
		rel := path.Clean("/" + r.URL.Path)
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		var body io.ReadSeeker = f
		if lie {
			body = invertingReader{f}
		}
		http.ServeContent(countingWriter{w, &ws.served}, r, fi.Name(), fi.ModTime(), body)
	}))
	t.Cleanup(srv.Close)
	ws.url = srv.URL + "/"
	require.True(t, strings.HasPrefix(ws.url, "http://127.0.0.1:"), "web seed on %s", ws.url)
	return ws
}

// invertingReader serves a file with every byte inverted.
type invertingReader struct{ f *os.File }

func (r invertingReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	for i := range b[:n] {
		b[i] ^= 0xff
	}
	return n, err
}

func (r invertingReader) Seek(off int64, whence int) (int64, error) { return r.f.Seek(off, whence) }

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	return n, err
}

// TestWebSeed downloads with BEP 19 web seeds (url-list, magnet ws=):
//   - webseed_only: the torrent's web seed is its only source;
//   - lying_webseed: the web seed serves wrong bytes beside an honest,
//     rate-limited `braid seed`; braid must end with the right bytes;
//   - magnet_ws: a magnet whose metadata comes from a slow braid seeder
//     (x.pe) and whose data can also come from the web seed in ws=.
func TestWebSeed(t *testing.T) {
	for _, name := range []string{"webseed_only", "lying_webseed", "magnet_ws"} {
		t.Run(name, func(t *testing.T) {
			parallel(t)
			c := smallContent(t)
			braidPath(t)
			work := t.TempDir()
			ws := startWebSeed(t, c.parent, name == "lying_webseed")
			torrent := filepath.Join(work, "t.torrent")
			var flags []string
			if name != "magnet_ws" {
				flags = []string{"--webseed", ws.url}
			}
			meta := createTorrent(t, c, torrent, smallPiece, flags...)

			src := torrent
			var peers []string
			if name != "webseed_only" {
				seedDir := filepath.Join(work, "seed")
				c.copyTo(t, seedDir)
				// Slow, so the web seed gets a share of the requests.
				s := startBraidRun(t, "braid-seed", "seed", torrent, braidRun{
					braidOpts:  braidOpts{dir: seedDir, stateDir: filepath.Join(work, "seed-state")},
					uploadRate: "1MiB",
				})
				waitBraidSeeding(t, s, c.total, 30*time.Second)
				if name == "magnet_ws" {
					src = magnetURI(meta.infoHash, "dn", contentName, "x.pe", braidAddr(t, s), "ws", ws.url)
				} else {
					peers = []string{braidAddr(t, s)}
				}
			}
			dl := filepath.Join(work, "dl")
			start := time.Now()
			b := startBraidRun(t, "braid-download", "download", src, braidRun{
				braidOpts: braidOpts{dir: dl, stateDir: filepath.Join(work, "state"), peers: peers},
			})
			done := waitBraidComplete(t, b, 90*time.Second)
			recordTiming(t, "webseed: "+name, time.Since(start))
			c.requireMatch(t, "braid", dl)
			t.Logf("web seed: %d requests (%d repeating an earlier path and range), %d body bytes; braid: %s",
				ws.requests.Load(), ws.repeats(), ws.served.Load(), done.raw)
			require.Positive(t, ws.requests.Load(), "braid never asked the web seed")
			if name == "webseed_only" {
				require.GreaterOrEqual(t, ws.served.Load(), c.total, "the web seed served less than the content")
			} else {
				require.Positive(t, ws.served.Load(), "the web seed served no data")
			}
		})
	}
}
