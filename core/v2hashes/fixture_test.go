package v2hashes_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// TestLibtorrentTorrents serves hashes from the piece layers libtorrent
// wrote into its v2 and hybrid fixtures, and from trees hashed from their
// content: every file's piece layer, fetched from either by the requests
// Braid would send, verifies against the file's pieces root alone.
func TestLibtorrentTorrents(t *testing.T) {
	for _, name := range []string{"libtorrent-v2", "libtorrent-hybrid"} {
		t.Run(name, func(t *testing.T) {
			tor, err := testfixtures.TorrentNamed(name)
			require.NoError(t, err)
			data, err := tor.Bytes()
			require.NoError(t, err)
			m, err := metainfo.Parse(data)
			require.NoError(t, err)
			pl := m.Info.PieceLength
			levels, err := merkle.PieceLevels(pl)
			require.NoError(t, err)
			fetched := 0
			for _, f := range m.Info.FilesV2 {
				if f.Length == 0 {
					continue
				}
				content, err := os.ReadFile(filepath.Join(tor.Content, filepath.Join(f.Path...)))
				require.NoError(t, err)
				var blocks []merkle.Hash
				for off := 0; off < len(content); off += merkle.BlockSize {
					blocks = append(blocks, merkle.BlockHash(content[off:min(off+merkle.BlockSize, len(content))]))
				}
				full, err := merkle.NewTree(blocks)
				require.NoError(t, err)
				require.Equal(t, f.PiecesRoot, full.Root())
				h := v2hashes.TreeHeight(f.Length)
				require.Equal(t, h, full.Height())
				known, err := merkle.NewTreeAt([]merkle.Hash{f.PiecesRoot}, h, h)
				require.NoError(t, err)
				seeders := []*v2hashes.Responder{v2hashes.NewResponder(full)}
				if layer := m.PieceLayers[f.PiecesRoot]; layer != nil {
					fromTorrent, err := merkle.NewTreeAt(layer, levels, h)
					require.NoError(t, err)
					require.Equal(t, f.PiecesRoot, fromTorrent.Root())
					seeders = append(seeders, v2hashes.NewResponder(fromTorrent))
				}
				reqs, err := v2hashes.PieceLayerRequests(f.PiecesRoot, f.Length, pl)
				require.NoError(t, err)
				for _, s := range seeders {
					var got []merkle.Hash
					for _, req := range reqs {
						reply, err := s.Answer(&req)
						require.NoError(t, err)
						hashes, err := v2hashes.Verify(known, &reply)
						require.NoError(t, err)
						got = append(got, hashes...)
					}
					if want := m.PieceLayers[f.PiecesRoot]; want != nil {
						assert.Equal(t, want, got[:len(want)])
						fetched++
					}
				}
			}
			assert.Positive(t, fetched, "some file spans pieces")
		})
	}
}
