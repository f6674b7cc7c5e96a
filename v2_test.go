//go:build !js

package braid_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// BitTorrent v2 torrents parse, but until the engine verifies pieces by
// Merkle tree a v2-only torrent or magnet is refused with one clear error
// and nothing starts; a hybrid runs in its v1 swarm.
func TestV2OnlyIsRefusedCleanly(t *testing.T) {
	c := newTestClient(t, t.TempDir())
	ctx := context.Background()
	v2, err := os.ReadFile(filepath.Join("testdata", "torrents", "libtorrent-v2.torrent"))
	require.NoError(t, err)
	_, err = c.DownloadBytes(ctx, v2)
	require.ErrorIs(t, err, braid.ErrInvalidTorrent)
	require.ErrorIs(t, err, metainfo.ErrUnsupported)
	require.ErrorContains(t, err, "v2-only")

	_, err = c.Download(ctx, "magnet:?xt=urn:btmh:1220dfa8d6b62c09dac2c7bc791a2dd7b741f067bc58a422c9e366a847afad5b35ed&dn=braid-tools")
	require.ErrorIs(t, err, braid.ErrInvalidTorrent)
	require.ErrorIs(t, err, metainfo.ErrUnsupported)
	require.Empty(t, c.List(), "nothing started")

	hybrid, err := os.ReadFile(filepath.Join("testdata", "torrents", "libtorrent-hybrid.torrent"))
	require.NoError(t, err)
	tor, err := c.DownloadBytes(ctx, hybrid)
	require.NoError(t, err)
	require.Equal(t, []braid.InfoHash{tor.InfoHash()}, c.List())
}
