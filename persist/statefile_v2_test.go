//go:build !js

package persist

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// A v2-only torrent's record is named by its whole v2 hash (64 hex) and
// found, listed and deleted by the 20 bytes the torrent is known by.
func TestFileStateStoreV2Naming(t *testing.T) {
	s, err := NewFileStateStore(t.TempDir())
	require.NoError(t, err)
	r, mi := v2Record(t)
	require.NoError(t, s.Save(r))
	p := filepath.Join(s.Dir(), hex.EncodeToString(mi.InfoHashV2[:])+".resume")
	_, err = os.Stat(p)
	require.NoError(t, err)
	key := mi.ShortInfoHashV2()
	got, err := s.Load(key)
	require.NoError(t, err)
	assert.Equal(t, r.InfoHash, got.InfoHash)
	layers, err := metainfo.ParsePieceLayers(got.PieceLayers, mi.Info)
	require.NoError(t, err)
	assert.Equal(t, mi.PieceLayers, layers)
	list, err := s.List()
	require.NoError(t, err)
	assert.Equal(t, [][20]byte{key}, list)
	require.NoError(t, s.Delete(key))
	_, err = os.Stat(p)
	require.True(t, os.IsNotExist(err))
	_, err = s.Load(key)
	require.ErrorIs(t, err, ErrNoRecord)
}
