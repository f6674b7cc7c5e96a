//go:build !js

package braid_test

import (
	"context"
	"fmt"
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

// seedFixture starts a client seeding the fixture.
func seedFixture(t *testing.T, fx swarmFixture) *braid.Client {
	t.Helper()
	s := newTestClient(t, fx.srcDir)
	st, err := s.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	return s
}

func TestMagnetFetchesMetadataThenData(t *testing.T) {
	fx := makeFixture(t, 16<<10, 400_000, 123_456)
	seeder := seedFixture(t, fx)
	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	magnet := fmt.Sprintf("magnet:?xt=urn:btih:%s&dn=content&x.pe=%s", fx.ih, seeder.ListenAddr())
	lt, err := leecher.Download(context.Background(), magnet)
	require.NoError(t, err)
	require.Equal(t, "content", lt.Name())
	waitDone(t, lt, 60*time.Second)
	require.True(t, lt.HasMetadata())
	requireSameFiles(t, fx, dst)

	// The record now holds the info dictionary: the magnet resumes offline.
	require.NoError(t, leecher.StopAndSerialize(fx.ih))
	again, err := leecher.Download(context.Background(), fmt.Sprintf("magnet:?xt=urn:btih:%s", fx.ih))
	require.NoError(t, err)
	require.True(t, again.HasMetadata(), "no peer needed for the metadata")
	require.Equal(t, braid.RecordOK, again.RecordStatus())
	waitDone(t, again, 30*time.Second)
}

// TestMagnetStorageFailureStopsTheTorrent: the info dictionary arrives but
// its data cannot be stored (the download directory is a file). The
// torrent stops with that error; the client keeps running.
func TestMagnetStorageFailureStopsTheTorrent(t *testing.T) {
	fx := makeFixture(t, 16<<10, 100_000)
	seeder := seedFixture(t, fx)
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	leecher := newTestClient(t, notDir)
	magnet := fmt.Sprintf("magnet:?xt=urn:btih:%s&dn=content&x.pe=%s", fx.ih, seeder.ListenAddr())
	lt, err := leecher.Download(context.Background(), magnet)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return lt.State() == "error" }, 30*time.Second, 20*time.Millisecond)
	require.Error(t, lt.Err())
	st, err := leecher.Stats(lt.InfoHash(), "state")
	require.NoError(t, err, "the client still answers")
	require.Equal(t, "error", st["state"])
}

func TestMagnetStatsWhileFetchingMetadata(t *testing.T) {
	c := newTestClient(t, t.TempDir())
	ih := "0123456789abcdef0123456789abcdef01234567"
	tor, err := c.Download(context.Background(), "magnet:?xt=urn:btih:"+ih+"&dn=later")
	require.NoError(t, err)
	st, err := c.Stats(tor.InfoHash(), "name", "state", "progress", "downloaded", "bytes_size")
	require.NoError(t, err)
	require.Equal(t, "later", st["name"])
	require.Equal(t, "fetching metadata", st["state"])
	require.Equal(t, 0.0, st["progress"])
	files, err := c.ListFiles(tor.InfoHash())
	require.NoError(t, err)
	require.Empty(t, files)
	require.NoError(t, c.StopAndSerialize(tor.InfoHash()))

	_, err = c.Download(context.Background(), "magnet:?xt=urn:btih:nothex")
	require.ErrorIs(t, err, braid.ErrInvalidTorrent)
}

func TestPEXIntroducesPeers(t *testing.T) {
	fx := makeFixture(t, 16<<10, 2_000_000)
	// A slow seeder keeps a and b downloading while they meet.
	seeder, err := braid.New(braid.Config{DataDir: fx.srcDir, StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0",
		NoDHT: true, UploadRate: 100 << 10})
	require.NoError(t, err)
	t.Cleanup(func() { _ = seeder.Close() })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	a := newTestClient(t, t.TempDir())
	_, err = a.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	// b knows only a; a tells it about the seeder.
	b := newTestClient(t, t.TempDir())
	bt, err := b.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(a.ListenAddr()))
	require.NoError(t, err)
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, err := b.Get(bt.InfoHash(), "peers")
		require.NoError(t, err)
		for _, p := range g["peers"].([]braid.PeerInfo) {
			// PEX told b of the seeder, or the seeder of b (whoever
			// dials first wins): either way they met through a.
			if p.Addr == seeder.ListenAddr() || p.Seed {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("b never learnt the seeder through PEX; peers: %+v", g["peers"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWebSeedOnlySource(t *testing.T) {
	fx := makeFixture(t, 32<<10, 300_000, 50_000)
	srv := httptest.NewServer(http.FileServer(http.Dir(fx.srcDir)))
	defer srv.Close()
	tb := withURLList(t, fx, srv.URL+"/")
	dst := t.TempDir()
	c := newTestClient(t, dst)
	tor, err := c.DownloadBytes(context.Background(), tb)
	require.NoError(t, err)
	waitDone(t, tor, 60*time.Second)
	requireSameFiles(t, fx, dst)
}

func TestWebSeedServingWrongBytesIsDropped(t *testing.T) {
	fx := makeFixture(t, 32<<10, 200_000)
	bad := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(bad, "content"), 0o755))
	wrong := make([]byte, 200_000) // zeros: every piece fails its hash
	require.NoError(t, os.WriteFile(filepath.Join(bad, "content", "first.bin"), wrong, 0o644))
	badSrv := httptest.NewServer(http.FileServer(http.Dir(bad)))
	defer badSrv.Close()
	seeder := seedFixture(t, fx)
	tb := withURLList(t, fx, badSrv.URL+"/")
	dst := t.TempDir()
	c := newTestClient(t, dst)
	tor, err := c.DownloadBytes(context.Background(), tb, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, tor, 60*time.Second)
	requireSameFiles(t, fx, dst)
	g, err := c.Get(tor.InfoHash(), "peers")
	require.NoError(t, err)
	for _, p := range g["peers"].([]braid.PeerInfo) {
		require.NotEqual(t, "webseed", p.Transport, "the lying web seed was dropped")
	}
}

// withURLList rebuilds the fixture's torrent with a web seed URL.
func withURLList(t *testing.T, fx swarmFixture, url string) []byte {
	t.Helper()
	mi, err := metainfo.Parse(fx.torrent)
	require.NoError(t, err)
	mi.URLList = []string{url}
	b, err := mi.Marshal()
	require.NoError(t, err)
	return b
}

func TestMagnetSelectOnly(t *testing.T) {
	fx := makeFixture(t, 16<<10, 100_000, 200_000, 50_000)
	seeder := seedFixture(t, fx)
	dst := t.TempDir()
	c := newTestClient(t, dst)
	tor, err := c.Download(context.Background(), fmt.Sprintf("magnet:?xt=urn:btih:%s&x.pe=%s&so=0,2", fx.ih, seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, tor, 60*time.Second)
	files, err := c.ListFiles(tor.InfoHash())
	require.NoError(t, err)
	require.True(t, files[0].Complete)
	require.True(t, files[2].Complete)
	require.False(t, files[1].Complete, "file 1 was not selected")
	// Only the pieces shared with selected files touch file 1.
	require.Less(t, files[1].Downloaded, int64(2*16<<10))
	for rel, want := range fx.files {
		if strings.HasSuffix(rel, "b.bin") {
			continue // file 1: sub/b.bin
		}
		got, err := os.ReadFile(filepath.Join(dst, rel))
		require.NoError(t, err)
		require.Equal(t, want, got, rel)
	}
	st, err := c.Stats(tor.InfoHash(), "state")
	require.NoError(t, err)
	require.Equal(t, "finished", st["state"], "the selection is done, file 1 is not")
}
