package rpc

import (
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// A hybrid torrent is selected by its v1 hash, its whole v2 hash and the
// truncated v2 hash; a v2-only torrent by either form of its v2 hash.
func TestIDsByV2Hash(t *testing.T) {
	f := newFixture(t, nil)
	for _, hybrid := range []bool{true, false} {
		raw, err := testfixtures.V2Torrent("v2-"+map[bool]string{true: "hybrid", false: "only"}[hybrid], 16<<10, hybrid,
			testfixtures.V2File{Path: []string{"a.bin"}, Data: make([]byte, 50_000)},
			testfixtures.V2File{Path: []string{"b.bin"}, Data: []byte("b")})
		require.NoError(t, err)
		mi, err := metainfo.Parse(raw)
		require.NoError(t, err)
		var added map[string]map[string]any
		require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, &added))
		id := added["torrent-added"]["id"]
		v2 := hex.EncodeToString(mi.InfoHashV2[:])
		ids := []string{v2, v2[:40]}
		if hybrid {
			ids = append(ids, hex.EncodeToString(mi.InfoHash[:]))
		}
		for _, h := range ids {
			var got struct {
				Torrents []map[string]any `json:"torrents"`
			}
			require.Equal(t, "success", f.call(t, "torrent-get", map[string]any{"ids": []any{h}, "fields": []string{"id"}}, &got))
			require.Len(t, got.Torrents, 1, h)
			require.Equal(t, id, got.Torrents[0]["id"], h)
		}
	}
}
