package webseed

import (
	"bytes"
	"crypto/sha1"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// testFile is one file of a test torrent: its path below the torrent name
// and its content.
type testFile struct {
	path []string
	data []byte
}

// testTorrent is a torrent whose files sit on disk under root, laid out as
// a web seed serves them: root/<name> (single-file) or root/<name>/<path>.
type testTorrent struct {
	root string
	info *metainfo.Info
	data []byte // the whole byte stream
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// makeTorrent writes files under a temp dir and builds their torrent with
// metainfo.Create, so the Info is exactly what Braid parses from a real one.
func makeTorrent(t testing.TB, name string, single bool, pieceLen int64, files ...testFile) *testTorrent {
	t.Helper()
	root := t.TempDir()
	var specs []metainfo.FileSpec
	var all bytes.Buffer
	for _, f := range files {
		var p string
		if single {
			p = filepath.Join(root, name)
		} else {
			p = filepath.Join(append([]string{root, name}, f.path...)...)
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.data, 0o644))
		specs = append(specs, metainfo.FileSpec{Path: f.path, Length: int64(len(f.data))})
		all.Write(f.data)
	}
	raw, err := metainfo.Create(metainfo.CreateOptions{
		Name: name, Files: specs, SingleFile: single, PieceLength: pieceLen,
	}, bytes.NewReader(all.Bytes()))
	require.NoError(t, err)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	return &testTorrent{root: root, info: mi.Info, data: all.Bytes()}
}

// piece is the expected content of piece p.
func (tt *testTorrent) piece(p int) []byte {
	off := tt.info.PieceOffset(p)
	return tt.data[off : off+tt.info.PieceSize(p)]
}

// requireAllPieces fetches every piece and checks bytes and hashes.
func requireAllPieces(t *testing.T, c *Client, tt *testTorrent) {
	t.Helper()
	for p := range tt.info.NumPieces() {
		got, err := c.FetchPiece(t.Context(), p, nil)
		require.NoError(t, err, "piece %d", p)
		require.Equal(t, tt.piece(p), got, "piece %d", p)
		require.Equal(t, tt.info.Pieces[p], sha1.Sum(got), "piece %d hash", p)
	}
}

// serve starts a loopback HTTP server closed with the test.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// recorder counts requests and remembers their paths and Range headers.
type recorder struct {
	next http.Handler
	n    atomic.Int32
	mu   sync.Mutex
	reqs []string // "path range"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.n.Add(1)
	r.mu.Lock()
	r.reqs = append(r.reqs, req.URL.Path+" "+req.Header.Get("Range"))
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// newClient makes a Client or fails the test.
func newClient(t testing.TB, rawURL string, info *metainfo.Info, opts Options) *Client {
	t.Helper()
	c, err := New(rawURL, info, opts)
	require.NoError(t, err)
	return c
}

// tZero is the modification time given to http.ServeContent: unknown.
var tZero time.Time
