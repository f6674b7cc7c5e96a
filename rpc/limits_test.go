package rpc

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

var limitKeys = []string{"downloadLimit", "downloadLimited", "uploadLimit", "uploadLimited",
	"honorsSessionLimits", "bandwidthPriority", "peer-limit", "sequentialDownload"}

// Per-torrent limits: torrent-set stores them, torrent-get reports them,
// the running torrent enforces them at once, a restart keeps them; bad
// values are refused and change nothing.
func TestTorrentLimits(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Session.PeerLimitPerTorrent = 60 })
	raw, _ := makeTorrent(t, f.dir, "lim", false)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	tor := f.get(t, limitKeys, 1)[0]
	require.Equal(t, map[string]any{"downloadLimit": float64(0), "downloadLimited": false, "uploadLimit": float64(0),
		"uploadLimited": false, "honorsSessionLimits": true, "bandwidthPriority": float64(0), "peer-limit": float64(60), "sequentialDownload": false}, tor)

	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "downloadLimit": 50, "downloadLimited": true,
		"uploadLimit": 20, "uploadLimited": 1, "honorsSessionLimits": false, "bandwidthPriority": -1, "peer-limit": 7,
		"sequentialDownload": true}, nil))
	want := map[string]any{"downloadLimit": float64(50), "downloadLimited": true, "uploadLimit": float64(20),
		"uploadLimited": true, "honorsSessionLimits": false, "bandwidthPriority": float64(-1), "peer-limit": float64(7),
		"sequentialDownload": true}
	require.Equal(t, want, f.get(t, limitKeys, 1)[0])
	seq := true
	check := func(up, down int64, honors bool, peers int) {
		t.Helper()
		e, _ := f.srv.st.get(1)
		tr := f.srv.active(e)
		require.NotNil(t, tr)
		gu, gd, gh := tr.Rates()
		require.Equal(t, []any{up, down, honors, peers, seq}, []any{gu, gd, gh, tr.MaxPeers(), tr.Sequential()})
	}
	check(20_000, 50_000, false, 7)

	// A limit off keeps its value for later, as in Transmission.
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "downloadLimited": false}, nil))
	check(20_000, 0, false, 7)
	want["downloadLimited"] = false
	require.Equal(t, want, f.get(t, limitKeys, 1)[0])

	before, _ := f.srv.st.get(1)
	for _, bad := range []map[string]any{
		{"ids": 1, "downloadLimit": -5},
		{"ids": 1, "downloadLimit": 1.5},
		{"ids": 1, "uploadLimit": "10"},
		{"ids": 1, "uploadLimit": 1e12},
		{"ids": 1, "downloadLimited": "yes"},
		{"ids": 1, "honorsSessionLimits": 3},
		{"ids": 1, "bandwidthPriority": 5},
		{"ids": 1, "bandwidthPriority": []int{1}},
		{"ids": 1, "peer-limit": -1},
		{"ids": 1, "peer-limit": 70000},
		{"ids": 1, "sequentialDownload": "yes"},
		{"ids": 1, "sequentialDownload": 2},
		{"ids": 1, "peer-limit": 5, "downloadLimit": -1}, // one bad: none applies
	} {
		require.Contains(t, f.call(t, "torrent-set", bad, nil), "invalid argument", "%v", bad)
		after, _ := f.srv.st.get(1)
		require.Equal(t, before, after, "%v", bad)
		check(20_000, 0, false, 7)
	}

	// torrent-add takes peer-limit and bandwidthPriority too.
	raw2, _ := makeTorrent(t, f.dir, "lim2", false)
	meta2 := base64.StdEncoding.EncodeToString(raw2)
	require.Contains(t, f.call(t, "torrent-add", map[string]any{"metainfo": meta2, "peer-limit": -3}, nil), "invalid argument")
	require.Len(t, f.get(t, []string{"id"}, nil), 1, "a refused add adds nothing")
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": meta2, "peer-limit": 4, "bandwidthPriority": 1}, nil))
	added := f.get(t, []string{"peer-limit", "bandwidthPriority"}, 2)[0]
	require.Equal(t, map[string]any{"peer-limit": float64(4), "bandwidthPriority": float64(1)}, added)
	e2, _ := f.srv.st.get(2)
	require.Equal(t, 4, f.srv.active(e2).MaxPeers())

	// A restart of the daemon keeps them, and the torrent gets them again.
	require.NoError(t, f.c.StopAllAndSerialize())
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	f.srv, f.ts = srv2, httptest.NewServer(srv2)
	t.Cleanup(f.ts.Close)
	srv2.Resume()
	check(20_000, 0, false, 7)
	require.Equal(t, want, f.get(t, limitKeys, 1)[0])

	// Stopped, a change is kept for the next start.
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": 1}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "uploadLimited": false, "downloadLimited": true,
		"honorsSessionLimits": true, "sequentialDownload": false}, nil))
	seq = false
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": 1}, nil))
	check(0, 50_000, true, 7)
}
