//go:build !js

package braid_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
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
