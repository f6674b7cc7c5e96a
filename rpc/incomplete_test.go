package rpc

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// TestIncompleteDir: with incomplete-dir on, a new torrent downloads
// there (torrent-get still names its download directory) and its data
// moves to the download directory when it completes.
func TestIncompleteDir(t *testing.T) {
	seedRoot := t.TempDir()
	seeder, err := braid.New(braid.Config{DataDir: seedRoot, StateDir: filepath.Join(seedRoot, ".state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true, NoUTP: true, UploadRate: 300_000})
	require.NoError(t, err)
	t.Cleanup(func() { _ = seeder.Close() })
	content := bytes600k()
	_, raw, err := seeder.Seed(context.Background(), []braid.SeedFile{{Path: []string{"x.bin"}, Data: content}},
		braid.SeedOptions{Name: "inc", PieceLength: 16384})
	require.NoError(t, err)

	f := newFixture(t, func(c *Config) { c.Peers = []string{seeder.ListenAddr()} })
	inc := filepath.Join(t.TempDir(), "incomplete")
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"incomplete-dir": inc, "incomplete-dir-enabled": true}, nil))
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	require.Equal(t, inc, savePath(t, f), "it downloads in the incomplete directory")
	require.Equal(t, f.dir, f.get(t, []string{"downloadDir"}, nil)[0]["downloadDir"])
	waitFor(t, "complete and moved", func() bool {
		tor := f.get(t, []string{"status", "percentDone"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["percentDone"] == float64(1) && len(f.c.List()) == 1 && savePath(t, f) == f.dir
	})
	got, err := os.ReadFile(filepath.Join(f.dir, "inc"))
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.NoFileExists(t, filepath.Join(inc, "inc"), "nothing left in the incomplete directory")
	e, _ := f.srv.st.get(1)
	require.Empty(t, e.Target)
	require.Equal(t, f.dir, e.Dir)

	// A torrent whose data is already in place is not sent there.
	raw2, _ := makeTorrent(t, f.dir, "inplace", true)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw2)}, nil))
	e, _ = f.srv.st.get(2)
	require.Equal(t, f.dir, e.Dir)
	require.Empty(t, e.Target)
}

func bytes600k() []byte {
	b := make([]byte, 600_000)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}
