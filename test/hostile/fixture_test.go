package hostile

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// content is one generated single-file torrent and its bytes, laid out in
// seedDir as a seeder expects to find them.
type content struct {
	name    string
	data    []byte
	torrent []byte
	ih      braid.InfoHash
	info    *metainfo.Info
	seedDir string
}

// makeContent generates size pseudo-random bytes (seeded, so reruns see the
// same data) and a torrent for them; tiers become its announce-list.
func makeContent(t testing.TB, name string, size int, pieceLen int64, seed uint64, tiers ...[]string) *content {
	t.Helper()
	data := make([]byte, size)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	_, _ = rand.NewChaCha8(key).Read(data)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	tb, err := metainfo.Create(metainfo.CreateOptions{
		Name: name, SingleFile: true, PieceLength: pieceLen, Announce: tiers,
		Files: []metainfo.FileSpec{{Path: []string{name}, Length: int64(size)}},
	}, bytes.NewReader(data))
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	return &content{name: name, data: data, torrent: tb, ih: braid.InfoHash(mi.InfoHash), info: mi.Info, seedDir: dir}
}

// piece returns the bytes of piece i.
func (c *content) piece(i int) []byte {
	off := c.info.PieceOffset(i)
	return c.data[off : off+c.info.PieceSize(i)]
}

// newClient starts a Braid client on loopback with its own temp dirs;
// cfg may set limits. It is closed when the test ends.
func newClient(t testing.TB, cfg braid.Config) *braid.Client {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(t.TempDir(), "state")
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.TrackerMinInterval == 0 {
		cfg.TrackerMinInterval = time.Second
	}
	cfg.NoDHT = true
	c, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// startSeeder runs an honest Braid seeder of c; peers are dialled at once.
func startSeeder(t testing.TB, c *content, cfg braid.Config, peers ...string) (*braid.Client, *braid.Torrent) {
	t.Helper()
	cfg.DataDir = c.seedDir
	cl := newClient(t, cfg)
	tor, err := cl.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(peers...))
	require.NoError(t, err)
	waitComplete(t, tor, 30*time.Second)
	return cl, tor
}

// startVictim starts downloading c into a fresh directory and waits until
// the torrent accepts peers (its start-up check is over).
func startVictim(t testing.TB, c *content, cfg braid.Config, peers ...string) (*braid.Client, *braid.Torrent, string) {
	t.Helper()
	dir := t.TempDir()
	cfg.DataDir = dir
	cl := newClient(t, cfg)
	tor, err := cl.DownloadBytes(context.Background(), c.torrent, braid.WithPeers(peers...))
	require.NoError(t, err)
	select {
	case <-tor.Checked():
	case <-time.After(10 * time.Second):
		t.Fatal("victim: start-up check did not finish in 10s")
	}
	return cl, tor, dir
}

// waitComplete waits until tor has every piece; a stop is a failure.
func waitComplete(t testing.TB, tor *braid.Torrent, d time.Duration) {
	t.Helper()
	select {
	case <-tor.Completed():
	case <-tor.Stopped():
		t.Fatalf("%s: stopped before completing: %v", tor.Name(), tor.Err())
	case <-time.After(d):
		t.Fatalf("%s: not complete after %v (state %s, err %v)", tor.Name(), d, tor.State(), tor.Err())
	}
}

// requireContent checks the downloaded file byte for byte.
func requireContent(t testing.TB, c *content, dir string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, c.name))
	require.NoError(t, err)
	require.Equal(t, len(c.data), len(got), "size of %s", c.name)
	require.Equal(t, sha256.Sum256(c.data), sha256.Sum256(got), "content of %s", c.name)
}

// piecesOnDisk hashes every piece of the file at path and reports which
// match the torrent.
func piecesOnDisk(c *content, path string) []bool {
	ok := make([]bool, c.info.NumPieces())
	f, err := os.Open(path)
	if err != nil {
		return ok
	}
	defer f.Close()
	for i := range ok {
		buf := make([]byte, c.info.PieceSize(i))
		if n, _ := f.ReadAt(buf, c.info.PieceOffset(i)); n == len(buf) {
			ok[i] = sha1.Sum(buf) == c.info.Pieces[i]
		}
	}
	return ok
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// stat reads one Stats field of a torrent.
func stat[T any](t testing.TB, c *braid.Client, ih braid.InfoHash, field string) T {
	t.Helper()
	st, err := c.Stats(ih, field)
	require.NoError(t, err)
	v, ok := st[field].(T)
	require.True(t, ok, "stats %s is %T", field, st[field])
	return v
}

// eventually polls cond every 20 ms until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventuallyFast is eventually with a 1 ms poll, for round trips on loopback.
func eventuallyFast(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
