//go:build !js

package braid_test

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
	"github.com/braid-bt/braid/tracker"
)

// makeV2Fixture writes files of the given sizes under a fresh directory
// (as "content/...") and builds a v2-only or hybrid torrent over them:
// sizes that make a file of several pieces with a short last piece, one
// of exactly a piece, one block, an empty file.
func makeV2Fixture(t testing.TB, pieceLen int64, hybrid bool, sizes ...int) (swarmFixture, *metainfo.MetaInfo) {
	t.Helper()
	dir := t.TempDir()
	fx := swarmFixture{srcDir: dir, files: map[string][]byte{}}
	rng := rand.NewChaCha8([32]byte{2, byte(len(sizes)), byte(pieceLen >> 14)})
	var files []testfixtures.V2File
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
		files = append(files, testfixtures.V2File{Path: rel, Data: data})
	}
	tb, err := testfixtures.V2Torrent("content", pieceLen, hybrid, files...)
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	require.Equal(t, hybrid, mi.Info.HasV1())
	require.True(t, mi.Info.HasV2())
	fx.torrent = tb
	if hybrid {
		fx.ih = braid.InfoHash(mi.InfoHash)
	} else {
		fx.ih = braid.InfoHash(mi.ShortInfoHashV2())
	}
	return fx, mi
}

// v2Sizes: a file of several pieces with a short last piece, a file of
// exactly one piece, an empty file, a file of one short block, a file of
// a piece and a half.
var v2Sizes = []int{5*64<<10 + 1000, 64 << 10, 0, 3000, 96 << 10}

// Braid seeds a v2-only torrent (pieces verified by Merkle trees) and a
// second Braid downloads it over loopback: both in the v2 swarm, named by
// the truncated v2 info hash.
func TestV2OnlySeedAndDownload(t *testing.T) {
	fx, mi := makeV2Fixture(t, 64<<10, false, v2Sizes...)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	require.Equal(t, fx.ih, st.InfoHash())
	waitDone(t, st, 30*time.Second)
	res := st.CheckResult()
	require.Equal(t, mi.Info.NumPieces(), res.Checked)
	require.Equal(t, res.Checked, res.Valid, "every piece of the data verifies by its Merkle hash")

	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	requireSameFiles(t, fx, dst)
}

// A v2-only torrent whose data on disk is corrupt in one block fails the
// start-up check of exactly that piece.
func TestV2OnlyCheckFindsCorruptPiece(t *testing.T) {
	fx, mi := makeV2Fixture(t, 64<<10, false, v2Sizes...)
	p := filepath.Join(fx.srcDir, "content", "first.bin")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[2*64<<10+20000] ^= 0xff // piece 2, its second block
	require.NoError(t, os.WriteFile(p, data, 0o644))
	c := newTestClient(t, fx.srcDir)
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	<-tor.Checked()
	res := tor.CheckResult()
	require.Equal(t, braid.CheckResult{Checked: mi.Info.NumPieces(), Valid: mi.Info.NumPieces() - 1, Invalid: 1}, res)
}

// A hybrid seeded by one Braid completes in another; either hash finds
// it: the v1 hash, the truncated v2 hash and the whole v2 hash.
func TestHybridSeedAndDownload(t *testing.T) {
	fx, mi := makeV2Fixture(t, 32<<10, true, v2Sizes...)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	requireSameFiles(t, fx, dst)

	full := hex.EncodeToString(mi.InfoHashV2[:])
	for _, s := range []string{hex.EncodeToString(mi.InfoHash[:]), full[:40], full} {
		ih, err := braid.ParseInfoHash(s)
		require.NoError(t, err)
		stats, err := leecher.Stats(ih, "info_hash", "info_hash_v2", "protocol")
		require.NoError(t, err, s)
		require.Equal(t, braid.Stats{"info_hash": fx.ih.String(), "info_hash_v2": full, "protocol": "hybrid"}, stats)
	}
	require.Equal(t, []braid.InfoHash{fx.ih}, leecher.List())
}

// Stats and Get of a v2-only torrent: its InfoHash is the truncated v2
// hash, found by the whole one too; a v1 torrent has no v2 hash.
func TestV2StatsAndLookup(t *testing.T) {
	fx, mi := makeV2Fixture(t, 32<<10, false, 100_000)
	c := newTestClient(t, fx.srcDir)
	tor, err := c.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	full := hex.EncodeToString(mi.InfoHashV2[:])
	ih, err := braid.ParseInfoHash(full)
	require.NoError(t, err)
	require.Equal(t, tor.InfoHash(), ih)
	require.Equal(t, full[:40], tor.InfoHash().String())
	st, err := c.Stats(ih, "info_hash_v2", "protocol")
	require.NoError(t, err)
	require.Equal(t, braid.Stats{"info_hash_v2": full, "protocol": "v2"}, st)
	g, err := c.Get(ih, "info_hash_v2", "protocol")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"info_hash_v2": full, "protocol": "v2"}, g)

	v1 := makeFixture(t, 32<<10, 50_000)
	c1 := newTestClient(t, v1.srcDir)
	t1, err := c1.DownloadBytes(context.Background(), v1.torrent)
	require.NoError(t, err)
	st, err = c1.Stats(t1.InfoHash(), "info_hash_v2", "protocol")
	require.NoError(t, err)
	require.Equal(t, braid.Stats{"info_hash_v2": "", "protocol": "v1"}, st)
	_, err = braid.ParseInfoHash(full[:50])
	require.Error(t, err)
}

// A v2-only download stopped half-way resumes after a restart: its record
// is named by the whole v2 hash (64 hex), holds the piece layers, and the
// pieces it lists are verified again by SHA-256 before the download goes
// on. Resume from the record alone (no .torrent) works too.
func TestV2OnlyResumeAfterRestart(t *testing.T) {
	fx, mi := makeV2Fixture(t, 16<<10, false, 300_000, 20_000)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	dst, stateDir := t.TempDir(), t.TempDir()
	cfg := braid.Config{DataDir: dst, StateDir: stateDir, ListenAddr: "127.0.0.1:0", NoDHT: true}
	c1, err := braid.New(cfg)
	require.NoError(t, err)
	lt, err := c1.DownloadBytes(context.Background(), fx.torrent, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, lt, 60*time.Second)
	require.NoError(t, c1.Close())
	full := hex.EncodeToString(mi.InfoHashV2[:])
	_, err = os.Stat(filepath.Join(stateDir, full+".resume"))
	require.NoError(t, err, "record named by the 64-hex v2 hash")

	// Corrupt one piece on disk: the restart's check must find it by its
	// Merkle hash and fetch it again.
	p := filepath.Join(dst, "content", "first.bin")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[5*16<<10+100] ^= 0xff
	require.NoError(t, os.WriteFile(p, data, 0o644))

	c2, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c2.Close() })
	saved, err := c2.Saved()
	require.NoError(t, err)
	require.Equal(t, []braid.SavedTorrent{{InfoHash: fx.ih, Name: "content"}}, saved)
	rt, err := c2.Resume(context.Background(), fx.ih, braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	require.Equal(t, braid.RecordOK, rt.RecordStatus())
	<-rt.Checked()
	res := rt.CheckResult()
	require.Equal(t, mi.Info.NumPieces(), res.Checked)
	require.Equal(t, 1, res.Invalid)
	waitDone(t, rt, 60*time.Second)
	requireSameFiles(t, fx, dst)
}

// A hybrid is announced in both of its swarms: a tracker lists the seeder
// under the v1 hash and under the truncated v2 hash; a v2-only torrent
// only under its truncated v2 hash. A leecher that finds the hybrid's
// seeder through the tracker alone completes.
func TestHybridAnnouncesBothSwarms(t *testing.T) {
	httpURL, _ := startScrapeTracker(t)
	fx, mi := makeV2Fixture(t, 32<<10, true, 100_000, 5000)
	seeder := transportClient(t, fx.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent, braid.WithTrackers(httpURL))
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	_, port, err := net.SplitHostPort(seeder.ListenAddr())
	require.NoError(t, err)

	tc, err := tracker.NewClient(httpURL, tracker.ClientOptions{Timeout: 2 * time.Second})
	require.NoError(t, err)
	listed := func(ih [20]byte) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := tc.Announce(ctx, tracker.AnnounceRequest{InfoHash: ih, PeerID: [20]byte{'q'}, Port: 1, Left: 1})
		require.NoError(t, err)
		for _, p := range res.Peers {
			if strconv.Itoa(int(p.Port())) == port {
				return true
			}
		}
		return false
	}
	for _, ih := range [][20]byte{mi.InfoHash, mi.ShortInfoHashV2()} {
		require.Eventually(t, func() bool { return listed(ih) }, 10*time.Second, 50*time.Millisecond, "seeder under %x", ih)
	}

	dst := t.TempDir()
	leecher := transportClient(t, dst, func(c *braid.Config) { c.NoWebRTC = true })
	lt, err := leecher.DownloadBytes(context.Background(), fx.torrent, braid.WithTrackers(httpURL))
	require.NoError(t, err)
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, fx, dst)

	v2, v2mi := makeV2Fixture(t, 32<<10, false, 70_000)
	c := transportClient(t, v2.srcDir, func(c *braid.Config) { c.NoWebRTC = true })
	_, err = c.DownloadBytes(context.Background(), v2.torrent, braid.WithTrackers(httpURL))
	require.NoError(t, err)
	_, port, err = net.SplitHostPort(c.ListenAddr())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return listed(v2mi.ShortInfoHashV2()) }, 10*time.Second, 50*time.Millisecond)
}

// A magnet with both btih and btmh joins both swarms from the start and
// fetches the hybrid's metadata from a peer; one whose btmh names another
// torrent stops with a clear error once the metadata arrives.
func TestHybridMagnet(t *testing.T) {
	fx, mi := makeV2Fixture(t, 32<<10, true, 100_000, 5000)
	seeder := newTestClient(t, fx.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), fx.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)

	magnet := func(v2 [32]byte) string {
		return "magnet:?xt=urn:btih:" + hex.EncodeToString(mi.InfoHash[:]) + "&xt=urn:btmh:1220" + hex.EncodeToString(v2[:]) + "&dn=content"
	}
	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	lt, err := leecher.Download(context.Background(), magnet(mi.InfoHashV2), braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	byV2, err := leecher.Torrent(braid.InfoHash(mi.ShortInfoHashV2()))
	require.NoError(t, err, "found by the btmh hash before the metadata arrives")
	require.Same(t, lt, byV2)
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, fx, dst)
	stats, err := leecher.Stats(fx.ih, "protocol", "info_hash_v2")
	require.NoError(t, err)
	require.Equal(t, braid.Stats{"protocol": "hybrid", "info_hash_v2": hex.EncodeToString(mi.InfoHashV2[:])}, stats)

	liar := newTestClient(t, t.TempDir())
	wrong := mi.InfoHashV2
	wrong[31] ^= 1
	bad, err := liar.Download(context.Background(), magnet(wrong), braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return bad.State() == "error" }, 30*time.Second, 20*time.Millisecond,
		"a magnet whose btmh does not match its metadata did not fail")
	require.ErrorContains(t, bad.Err(), "v2 info hash")
}

// A btmh magnet (v2-only) fetches its metadata from a peer, checked by
// SHA-256. A torrent whose files are at most a piece each then downloads
// (each file's root is its check); one with longer files first asks the
// seeder for their piece layers by BEP 52 hash requests, which the
// seeder answers. With a resume record the magnet resumes offline.
func TestV2Magnet(t *testing.T) {
	small, smi := makeV2Fixture(t, 64<<10, false, 64<<10, 3000, 0, 40_000)
	seeder := newTestClient(t, small.srcDir)
	st, err := seeder.DownloadBytes(context.Background(), small.torrent)
	require.NoError(t, err)
	waitDone(t, st, 30*time.Second)
	btmh := func(mi *metainfo.MetaInfo) string {
		return "magnet:?xt=urn:btmh:1220" + hex.EncodeToString(mi.InfoHashV2[:]) + "&dn=content"
	}
	dst := t.TempDir()
	leecher := newTestClient(t, dst)
	lt, err := leecher.Download(context.Background(), btmh(smi), braid.WithPeers(seeder.ListenAddr()))
	require.NoError(t, err)
	require.Equal(t, small.ih, lt.InfoHash(), "the truncated v2 hash")
	waitDone(t, lt, 30*time.Second)
	requireSameFiles(t, small, dst)
	stats, err := leecher.Stats(lt.InfoHash(), "protocol")
	require.NoError(t, err)
	require.Equal(t, "v2", stats["protocol"])

	big, bmi := makeV2Fixture(t, 16<<10, false, 100_000)
	seeder2 := newTestClient(t, big.srcDir)
	st2, err := seeder2.DownloadBytes(context.Background(), big.torrent)
	require.NoError(t, err)
	waitDone(t, st2, 30*time.Second)
	dstBig, stateBig := t.TempDir(), t.TempDir()
	cfgBig := braid.Config{DataDir: dstBig, StateDir: stateBig, ListenAddr: "127.0.0.1:0", NoDHT: true}
	c, err := braid.New(cfgBig)
	require.NoError(t, err)
	bt, err := c.Download(context.Background(), btmh(bmi), braid.WithPeers(seeder2.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, bt, 30*time.Second)
	requireSameFiles(t, big, dstBig)
	require.NoError(t, c.Close())
	// Its record keeps the layers fetched: it resumes with no peer.
	c0, err := braid.New(cfgBig)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c0.Close() })
	t0, err := c0.Download(context.Background(), btmh(bmi))
	require.NoError(t, err)
	require.Equal(t, braid.RecordOK, t0.RecordStatus())
	waitDone(t, t0, 30*time.Second)
	require.Equal(t, bmi.Info.NumPieces(), t0.CheckResult().Valid)

	// Downloaded once by its .torrent, the same torrent's btmh magnet
	// resumes from the record (which keeps the piece layers), no peer.
	dst2, state := t.TempDir(), t.TempDir()
	cfg := braid.Config{DataDir: dst2, StateDir: state, ListenAddr: "127.0.0.1:0", NoDHT: true}
	c1, err := braid.New(cfg)
	require.NoError(t, err)
	t1, err := c1.DownloadBytes(context.Background(), big.torrent, braid.WithPeers(seeder2.ListenAddr()))
	require.NoError(t, err)
	waitDone(t, t1, 30*time.Second)
	require.NoError(t, c1.Close())
	c2, err := braid.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c2.Close() })
	t2, err := c2.Download(context.Background(), btmh(bmi))
	require.NoError(t, err)
	require.Equal(t, braid.RecordOK, t2.RecordStatus())
	waitDone(t, t2, 30*time.Second)
	require.Equal(t, bmi.Info.NumPieces(), t2.CheckResult().Valid)
}
