//go:build !js

package braid_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// swarmFixture is generated content and its torrent.
type swarmFixture struct {
	srcDir  string // parent of the content folder
	torrent []byte
	files   map[string][]byte // relative path -> content
	ih      braid.InfoHash
}

func makeFixture(t testing.TB, pieceLen int64, sizes ...int) swarmFixture {
	t.Helper()
	dir := t.TempDir()
	fx := swarmFixture{srcDir: dir, files: map[string][]byte{}}
	var specs []metainfo.FileSpec
	var all bytes.Buffer
	rng := rand.NewChaCha8([32]byte{byte(len(sizes)), byte(pieceLen >> 14)})
	for i, n := range sizes {
		data := make([]byte, n)
		_, _ = rng.Read(data)
		rel := []string{"sub", string(rune('a'+i)) + ".bin"}
		if i == 0 {
			rel = []string{"first.bin"}
		}
		p := filepath.Join(append([]string{dir, "content"}, rel...)...)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
		fx.files[filepath.Join(append([]string{"content"}, rel...)...)] = data
		specs = append(specs, metainfo.FileSpec{Path: rel, Length: int64(n)})
		all.Write(data)
	}
	tb, err := metainfo.Create(metainfo.CreateOptions{Name: "content", Files: specs, PieceLength: pieceLen}, &all)
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	fx.torrent, fx.ih = tb, braid.InfoHash(mi.InfoHash)
	return fx
}

func newTestClient(t *testing.T, dataDir string) *braid.Client {
	t.Helper()
	cfg := braid.Config{
		DataDir: dataDir, StateDir: filepath.Join(t.TempDir(), "state"),
		ListenAddr: "127.0.0.1:0", TrackerMinInterval: time.Second,
	}
	if os.Getenv("BRAID_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func requireSameFiles(t *testing.T, fx swarmFixture, dir string) {
	t.Helper()
	for rel, want := range fx.files {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		require.NoError(t, err)
		require.Equal(t, sha256.Sum256(want), sha256.Sum256(got), rel)
	}
}

func waitDone(t *testing.T, tor *braid.Torrent, d time.Duration) {
	t.Helper()
	select {
	case <-tor.Completed():
	case <-tor.Stopped():
		t.Fatalf("torrent stopped: %v", tor.Err())
	case <-time.After(d):
		t.Fatalf("not complete after %s", d)
	}
}

func TestSeedAndDownloadOverLoopback(t *testing.T) {
	fx := makeFixture(t, 32<<10, 300_000, 0, 1_000_001, 70_000)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	require.Equal(t, st.CheckResult().Valid, st.CheckResult().Checked)

	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	requireSameFiles(t, fx, dst)

	s, err := leecher.Stats(fx.ih, "progress", "bytes_size", "downloaded", "state", "fetched")
	require.NoError(t, err)
	require.Equal(t, 1.0, s["progress"])
	require.Equal(t, s["bytes_size"], s["downloaded"])
	require.Equal(t, "seeding", s["state"])
	require.GreaterOrEqual(t, s["fetched"].(int64), s["bytes_size"].(int64))

	files, err := leecher.ListFiles(fx.ih)
	require.NoError(t, err)
	require.Len(t, files, 4)
	for _, f := range files {
		require.True(t, f.Complete, f.Path)
		require.Equal(t, f.Length, f.Downloaded)
	}
	require.Equal(t, "content/first.bin", files[0].Path)
	require.Equal(t, "first.bin", files[0].Name)
}

func TestAPIErrors(t *testing.T) {
	c := newTestClient(t, t.TempDir())
	var unknown braid.InfoHash
	_, err := c.Stats(unknown)
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
	_, err = c.ListFiles(unknown)
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
	_, err = c.Get(unknown, "name")
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
	require.ErrorIs(t, c.Remove(unknown), braid.ErrTorrentNotFound)
	require.NoError(t, c.StopAndSerialize(unknown), "stopping a torrent that is not running is not an error")

	_, err = c.DownloadBytes(context.Background(), []byte("d4:infoi3ee"))
	require.ErrorIs(t, err, braid.ErrInvalidTorrent)
	_, err = c.Download(context.Background(), filepath.Join(t.TempDir(), "missing.torrent"))
	require.ErrorContains(t, err, "no such file")

	fx := makeFixture(t, 16<<10, 50_000)
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	_, err = c.Stats(tor.InfoHash(), "nonsense")
	require.ErrorIs(t, err, braid.ErrUnknownField)
	def, err := c.Stats(tor.InfoHash())
	require.NoError(t, err)
	require.ElementsMatch(t, braid.DefaultStatsFields, keys(def))
	require.Equal(t, []braid.InfoHash{tor.InfoHash()}, c.List())
	again, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	require.Same(t, tor, again)
	g, err := c.Get(tor.InfoHash(), "num_pieces", "piece_length")
	require.NoError(t, err)
	require.Equal(t, 4, g["num_pieces"])
	require.Equal(t, int64(16<<10), g["piece_length"])
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestVersionAndPeerID(t *testing.T) {
	require.Regexp(t, `^-BD\d{4}$`, braid.Version())
	c := newTestClient(t, t.TempDir())
	id := c.PeerID()
	require.Equal(t, braid.Version()+"-", string(id[:8]))
	c2 := newTestClient(t, t.TempDir())
	require.NotEqual(t, id, c2.PeerID(), "the 12 random bytes differ")
}

func TestStopAndSerializeThenResume(t *testing.T) {
	fx := makeFixture(t, 16<<10, 200_000, 90_000)
	stateDir := t.TempDir()
	cfg := braid.Config{DataDir: fx.srcDir, StateDir: stateDir, ListenAddr: "127.0.0.1:0"}
	c, err := braid.New(cfg)
	require.NoError(t, err)
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, tor, 30*time.Second)
	require.Equal(t, braid.RecordNone, tor.RecordStatus())
	require.NoError(t, c.StopAndSerialize(fx.ih))
	require.Empty(t, c.List())
	_, err = c.Stats(fx.ih)
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
	require.NoError(t, c.Close())

	store, err := persist.NewFileStateStore(stateDir)
	require.NoError(t, err)
	rec, err := store.Load(fx.ih)
	require.NoError(t, err)
	require.Equal(t, fx.ih[:], rec.InfoHash)
	require.Equal(t, fx.srcDir, rec.SavePath)

	// Corrupt one piece on disk: the restart finds it and only it.
	p := filepath.Join(fx.srcDir, "content", "first.bin")
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xde, 0xad}, 40_000) // piece 2
	require.NoError(t, err)
	require.NoError(t, f.Close())

	c2, err := braid.New(cfg)
	require.NoError(t, err)
	defer c2.Close()
	tor2, err := c2.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	require.Equal(t, braid.RecordOK, tor2.RecordStatus())
	cr := tor2.CheckResult()
	require.Equal(t, 1, cr.Invalid)
	require.Equal(t, cr.Checked-1, cr.Valid)
	s, err := c2.Stats(fx.ih, "left", "state")
	require.NoError(t, err)
	require.Equal(t, int64(16<<10), s["left"])
	require.Equal(t, "downloading", s["state"])
}

func TestTornRecordIsIgnored(t *testing.T) {
	fx := makeFixture(t, 16<<10, 40_000)
	stateDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(stateDir, fx.ih.String()+".resume"), []byte("d20:braid_resume_versi"), 0o644))
	c, err := braid.New(braid.Config{DataDir: fx.srcDir, StateDir: stateDir, ListenAddr: "127.0.0.1:0"})
	require.NoError(t, err)
	defer c.Close()
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	require.Equal(t, braid.RecordCorrupt, tor.RecordStatus())
	waitDone(t, tor, 30*time.Second)
}

func TestRemoveDeletesDataAndRecord(t *testing.T) {
	fx := makeFixture(t, 16<<10, 40_000, 10_000)
	stateDir := t.TempDir()
	c, err := braid.New(braid.Config{DataDir: fx.srcDir, StateDir: stateDir, ListenAddr: "127.0.0.1:0"})
	require.NoError(t, err)
	defer c.Close()
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, tor, 30*time.Second)
	require.NoError(t, c.StopAndSerialize(fx.ih))
	_, err = os.Stat(filepath.Join(stateDir, fx.ih.String()+".resume"))
	require.NoError(t, err)
	tor, err = c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	<-tor.Checked()
	require.NoError(t, c.Remove(fx.ih, braid.DeleteData(true)))
	_, err = os.Stat(filepath.Join(stateDir, fx.ih.String()+".resume"))
	require.True(t, errors.Is(err, os.ErrNotExist))
	_, err = os.Stat(filepath.Join(fx.srcDir, "content"))
	require.True(t, errors.Is(err, os.ErrNotExist), "data folder removed")
	require.Empty(t, c.List())
}

// A paused torrent (stopped, known from its record only) can be removed
// too, with its data.
func TestRemovePausedTorrent(t *testing.T) {
	fx := makeFixture(t, 16<<10, 40_000, 10_000)
	stateDir := t.TempDir()
	c, err := braid.New(braid.Config{DataDir: fx.srcDir, StateDir: stateDir, ListenAddr: "127.0.0.1:0", NoDHT: true})
	require.NoError(t, err)
	defer c.Close()
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, tor, 30*time.Second)
	require.NoError(t, c.StopAndSerialize(fx.ih))
	saved, err := c.Saved()
	require.NoError(t, err)
	require.Equal(t, []braid.SavedTorrent{{InfoHash: fx.ih, Name: "content"}}, saved)

	require.NoError(t, c.Remove(fx.ih, braid.DeleteData(true)))
	_, err = os.Stat(filepath.Join(stateDir, fx.ih.String()+".resume"))
	require.True(t, errors.Is(err, os.ErrNotExist))
	_, err = os.Stat(filepath.Join(fx.srcDir, "content", "first.bin"))
	require.True(t, errors.Is(err, os.ErrNotExist), "data removed")
	require.ErrorIs(t, c.Remove(fx.ih), braid.ErrTorrentNotFound)
}

// ReadFileAt waits for the pieces it needs and returns a file's bytes, at
// any offset, while the torrent downloads.
func TestReadFileAtWaitsForData(t *testing.T) {
	fx := makeFixture(t, 16<<10, 100_000, 50_001)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	leecher := newTestClient(t, t.TempDir())
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := fx.files[filepath.Join("content", "sub", "b.bin")]
	buf := make([]byte, 20_000)
	n, err := lt.ReadFileAt(ctx, 1, buf, 30_001)
	require.NoError(t, err)
	require.Equal(t, want[30_001:30_001+n], buf[:n])
	require.Equal(t, len(buf), n)
	n, err = lt.ReadFileAt(ctx, 1, buf, int64(len(want))-100)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, want[len(want)-100:], buf[:n])
	_, err = lt.ReadFileAt(ctx, 2, buf, 0)
	require.Error(t, err, "no such file")
}
