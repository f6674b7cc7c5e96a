//go:build !js

package braid_test

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

// Seed builds the torrent kind SeedOptions.Protocol names from files given
// in any order (v2 file trees are sorted; v2 and hybrid files start on
// piece boundaries), stores the data where the torrent reads it, and a
// second Braid downloads every file intact from it. The torrent is found
// by either of its hashes and says its protocol.
func TestSeedProtocols(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{7})
	sizes := map[string]int{"zeta.bin": 100_003, "alpha.bin": 40_000, "empty.bin": 0, "mid.bin": 3000}
	order := []string{"zeta.bin", "alpha.bin", "empty.bin", "mid.bin"}
	var files []braid.SeedFile
	for _, name := range order {
		data := make([]byte, sizes[name])
		_, _ = rng.Read(data)
		files = append(files, braid.SeedFile{Path: []string{name}, Data: data})
	}
	for _, proto := range []string{"", "v1", "v2", "hybrid"} {
		t.Run("protocol="+proto, func(t *testing.T) {
			seeder := newTestClient(t, t.TempDir())
			st, raw, err := seeder.Seed(context.Background(), files, braid.SeedOptions{Name: "pack", PieceLength: 32 << 10, Protocol: proto})
			require.NoError(t, err)
			mi, err := metainfo.Parse(raw)
			require.NoError(t, err)
			want := proto
			if want == "" {
				want = "v1"
			}
			require.Equal(t, want != "v2", mi.Info.HasV1())
			require.Equal(t, want != "v1", mi.Info.HasV2())
			if want == "v2" {
				require.Equal(t, braid.InfoHash(mi.ShortInfoHashV2()), st.InfoHash())
			} else {
				require.Equal(t, braid.InfoHash(mi.InfoHash), st.InfoHash())
			}
			full := ""
			if want != "v1" {
				full = hex.EncodeToString(mi.InfoHashV2[:])
				byV2, err := braid.ParseInfoHash(full)
				require.NoError(t, err)
				got, err := seeder.Stats(byV2, "protocol", "info_hash_v2")
				require.NoError(t, err)
				require.Equal(t, braid.Stats{"protocol": want, "info_hash_v2": full}, got)
			}

			dst := t.TempDir()
			leecher := newTestClient(t, dst)
			lt, err := leecher.DownloadBytes(context.Background(), raw, braid.WithPeers(seeder.ListenAddr()))
			require.NoError(t, err)
			waitDone(t, lt, 60*time.Second)
			for _, f := range files {
				got, err := os.ReadFile(filepath.Join(dst, "pack", f.Path[0]))
				require.NoError(t, err)
				require.Equal(t, f.Data, got, f.Path[0])
			}
			ls, err := leecher.Stats(lt.InfoHash(), "protocol", "info_hash_v2", "hash_fails")
			require.NoError(t, err)
			require.Equal(t, braid.Stats{"protocol": want, "info_hash_v2": full, "hash_fails": 0}, ls)
		})
	}
}

// Seed refuses an unknown protocol and a v2 piece length that is not a
// power of two, with errors naming the problem.
func TestSeedProtocolErrors(t *testing.T) {
	c := newTestClient(t, t.TempDir())
	files := []braid.SeedFile{{Path: []string{"a.bin"}, Data: []byte("abc")}}
	_, _, err := c.Seed(context.Background(), files, braid.SeedOptions{Protocol: "v3"})
	require.ErrorIs(t, err, braid.ErrUnknownProtocol)
	require.Contains(t, err.Error(), `"v3"`)
	_, _, err = c.Seed(context.Background(), files, braid.SeedOptions{Protocol: "v2", PieceLength: 3 * 16 << 10})
	require.Error(t, err)
	require.Contains(t, err.Error(), "power of two")
	require.Empty(t, c.List(), "nothing started")
}
