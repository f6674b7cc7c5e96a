package braid_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestWithRenames: a torrent whose data lies under renamed paths (folder
// and one file) is found there complete; unsafe new names are refused.
func TestWithRenames(t *testing.T) {
	fx := makeFixture(t, 16384, 40_000, 30_000)
	dir := t.TempDir()
	for rel, data := range fx.files {
		rel = filepath.Join("renamed", filepath.Base(rel)) // content/first.bin, content/sub/b.bin
		if filepath.Base(rel) == "b.bin" {
			rel = filepath.Join("renamed", "sub2", "bee.bin")
		}
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), data, 0o644))
	}
	c := newTestClient(t, dir)
	ctx := context.Background()
	for _, bad := range []braid.DownloadOption{
		braid.WithRenames("..", nil),
		braid.WithRenames("", map[int][]string{1: {"..", "x"}}),
		braid.WithRenames("", map[int][]string{5: {"x"}}),
		braid.WithRenames("a/b", nil),
	} {
		_, err := c.DownloadBytes(ctx, fx.torrent, bad)
		require.ErrorIs(t, err, braid.ErrInvalidTorrent)
	}
	tor, err := c.DownloadBytes(ctx, fx.torrent, braid.WithRenames("renamed", map[int][]string{1: {"sub2", "bee.bin"}}))
	require.NoError(t, err)
	waitDone(t, tor, 10*time.Second)
	<-tor.Checked()
	require.Equal(t, 5, tor.CheckResult().Valid, "every piece verified from the renamed files")
}
