package merkle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// TestLibtorrentRoots hashes the fixture content and compares each file's
// root and piece layer with what libtorrent wrote in its v2 and hybrid
// torrents: known vectors from another implementation.
func TestLibtorrentRoots(t *testing.T) {
	for _, name := range []string{"libtorrent-v2", "libtorrent-hybrid"} {
		t.Run(name, func(t *testing.T) {
			tor, err := testfixtures.TorrentNamed(name)
			require.NoError(t, err)
			data, err := tor.Bytes()
			require.NoError(t, err)
			m, err := metainfo.Parse(data)
			require.NoError(t, err)
			require.NotEmpty(t, m.Info.FilesV2)
			var spanning, single int
			for _, f := range m.Info.FilesV2 {
				content, err := os.ReadFile(filepath.Join(tor.Content, filepath.Join(f.Path...)))
				require.NoError(t, err)
				if len(content) == 0 {
					continue
				}
				var blocks []merkle.Hash
				for off := 0; off < len(content); off += merkle.BlockSize {
					blocks = append(blocks, merkle.BlockHash(content[off:min(off+merkle.BlockSize, len(content))]))
				}
				tree, err := merkle.NewTree(blocks)
				require.NoError(t, err)
				assert.Equal(t, f.PiecesRoot, tree.Root(), "%v", f.Path)
				layer, err := tree.PieceLayer(m.Info.PieceLength)
				require.NoError(t, err)
				if f.Length <= m.Info.PieceLength {
					single++
					assert.Nil(t, layer)
					continue
				}
				spanning++
				assert.Equal(t, m.PieceLayers[f.PiecesRoot], layer, "%v", f.Path)
				for p, want := range layer {
					per := int(m.Info.PieceLength / merkle.BlockSize)
					assert.True(t, merkle.VerifyPiece(blocks[p*per:min(p*per+per, len(blocks))], m.Info.PieceLength, want))
				}
			}
			assert.Positive(t, spanning, "a file spanning pieces")
			assert.Positive(t, single, "a file of one piece or less")
		})
	}
}
