package rpc

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

func TestFreeSpace(t *testing.T) {
	f := newFixture(t, nil)
	var out map[string]any
	require.Equal(t, "success", f.call(t, "free-space", map[string]any{"path": f.dir + "/x/.."}, &out))
	require.Equal(t, f.dir, out["path"])
	free, total := out["size-bytes"].(float64), out["total_size"].(float64)
	require.Positive(t, total)
	require.GreaterOrEqual(t, free, float64(0))
	require.LessOrEqual(t, free, total)

	// Any absolute path is answered, as Transmission does.
	require.Equal(t, "success", f.call(t, "free-space", map[string]any{"path": "/"}, &out))
	require.Equal(t, "/", out["path"])

	require.Equal(t, "directory path is not absolute", f.call(t, "free-space", map[string]any{"path": "data"}, nil))
	require.Equal(t, "directory path is not absolute", f.call(t, "free-space", map[string]any{}, nil))
	require.Contains(t, f.call(t, "free-space", map[string]any{"path": 5}, nil), "want a string")
	require.Contains(t, f.call(t, "free-space", map[string]any{"path": filepath.Join(f.dir, "missing")}, nil), "no such file")
}

func TestPortTest(t *testing.T) {
	f := newFixture(t, nil)
	var out map[string]any
	require.Equal(t, "success", f.call(t, "port-test", nil, &out))
	require.Equal(t, false, out["port-is-open"], "no router reports a forward (port mapping is off)")
	require.Contains(t, out["braid-port-test"], "from outside")
	require.Equal(t, "success", f.call(t, "port-test", map[string]any{"ip_protocol": "ipv6"}, &out))
	require.Equal(t, "ipv6", out["ip_protocol"])
	require.Contains(t, f.call(t, "port-test", map[string]any{"ip_protocol": "ipx"}, nil), "ipv4 or ipv6")
}

// TestTorrentReannounce: a running torrent announces again at once.
func TestTorrentReannounce(t *testing.T) {
	var announces atomic.Int32
	tracker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/announce") {
			announces.Add(1)
		}
		_, _ = w.Write([]byte("d8:intervali3600e5:peers0:e"))
	}))
	defer tracker.Close()
	root := t.TempDir()
	c, err := braid.New(braid.Config{DataDir: root, StateDir: filepath.Join(root, ".state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true, NoUTP: true, TrackerMinInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	f := newFixture(t, func(cfg *Config) { cfg.Client = c; cfg.DownloadDir = root })
	data := bytes.Repeat([]byte("r"), 20_000)
	raw, err := metainfo.Create(metainfo.CreateOptions{Name: "re.bin", PieceLength: 16384, Announce: [][]string{{tracker.URL + "/announce"}},
		Files: []metainfo.FileSpec{{Path: []string{"re.bin"}, Length: int64(len(data))}}}, bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	waitFor(t, "first announce", func() bool { return announces.Load() >= 1 })
	time.Sleep(200 * time.Millisecond) // past the floor; the tracker's interval is an hour
	n := announces.Load()
	require.Equal(t, "success", f.call(t, "torrent-reannounce", map[string]any{"ids": []any{1}}, nil))
	waitFor(t, "announce again", func() bool { return announces.Load() > n })

	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": 1}, nil))
	require.Equal(t, "success", f.call(t, "torrent-reannounce", map[string]any{"ids": 1}, nil), "a stopped torrent is skipped")
	require.Contains(t, f.call(t, "torrent-reannounce", map[string]any{"ids": map[string]any{}}, nil), "invalid argument")
}

func TestBlocklistUpdate(t *testing.T) {
	f := newFixture(t, nil)
	require.Contains(t, f.call(t, "blocklist-update", nil, nil), "no blocklist configured")

	root := t.TempDir()
	list := filepath.Join(root, "list.p2p")
	require.NoError(t, os.WriteFile(list, []byte("one:10.0.0.1-10.0.0.9\n"), 0o644))
	c, err := braid.New(braid.Config{DataDir: root, StateDir: filepath.Join(root, ".state"), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true, NoUTP: true, Blocklist: list})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	f = newFixture(t, func(cfg *Config) { cfg.Client, cfg.Blocklist = c, list })
	var sg map[string]any
	require.Equal(t, "success", f.call(t, "session-get", map[string]any{"fields": []string{"blocklist-enabled", "blocklist-size"}}, &sg))
	require.Equal(t, map[string]any{"blocklist-enabled": true, "blocklist-size": 1.0}, sg)

	require.NoError(t, os.WriteFile(list, []byte("one:10.0.0.1-10.0.0.9\ntwo:10.1.0.1-10.1.0.9\n"), 0o644))
	var out map[string]any
	require.Equal(t, "success", f.call(t, "blocklist-update", nil, &out))
	require.EqualValues(t, 2, out["blocklist-size"])

	require.NoError(t, os.WriteFile(list, []byte("garbage line\n"), 0o644))
	require.Contains(t, f.call(t, "blocklist-update", nil, nil), "blocklist")
	require.Equal(t, 2, c.BlocklistLen(), "a bad list leaves the current one")
}
