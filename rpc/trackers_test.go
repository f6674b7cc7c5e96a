package rpc

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// Tracker edits (Transmission 4's trackerList, trackerAdd, trackerRemove,
// trackerReplace) change the running torrent's trackers, torrent-get
// reports them (trackers, trackerList), and a restart keeps them; bad
// URLs and ids are refused and change nothing.
func TestTrackerEdits(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "trk", true)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	const a, b, c = "http://127.0.0.1:1/announce", "udp://127.0.0.1:2", "http://127.0.0.1:3/announce"
	list := func() string { return f.get(t, []string{"trackerList"}, 1)[0]["trackerList"].(string) }
	live := func() [][]string {
		e, _ := f.srv.st.get(1)
		tr := f.srv.active(e)
		require.NotNil(t, tr)
		return tr.Trackers()
	}
	require.Equal(t, "", list())

	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "trackerList": a + "\n" + b + "\n\n" + c + "\n"}, nil))
	require.Equal(t, a+"\n"+b+"\n\n"+c, list())
	require.Equal(t, [][]string{{a, b}, {c}}, live())
	trs := f.get(t, []string{"trackers"}, 1)[0]["trackers"].([]any)
	require.Len(t, trs, 3)
	require.Equal(t, map[string]any{"announce": c, "id": float64(2), "scrape": "", "sitename": "127.0.0.1", "tier": float64(1)}, trs[2])

	stats := f.get(t, []string{"trackerStats"}, 1)[0]["trackerStats"].([]any)
	require.Len(t, stats, 3)
	st := stats[1].(map[string]any)
	require.Equal(t, []any{b, "udp://127.0.0.1:2", float64(1), float64(0), true}, []any{st["announce"], st["host"], st["id"], st["tier"], st["isBackup"]})

	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "trackerRemove": []int{0}}, nil))
	require.Equal(t, [][]string{{b}, {c}}, live())
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "trackerReplace": []any{1, a}}, nil))
	require.Equal(t, [][]string{{b}, {a}}, live())
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "trackerReplace": []any{[]any{0, c}}, "trackerAdd": []string{b, a}}, nil))
	require.Equal(t, [][]string{{c}, {a}, {b}}, live(), "added in tiers of their own, duplicates dropped")

	before, _ := f.srv.st.get(1)
	for _, bad := range []map[string]any{
		{"ids": 1, "trackerList": 5},
		{"ids": 1, "trackerList": "ftp://x/announce"},
		{"ids": 1, "trackerAdd": []string{"not a url"}},
		{"ids": 1, "trackerAdd": "http://x/"},
		{"ids": 1, "trackerRemove": []int{3}},
		{"ids": 1, "trackerRemove": []int{-1}},
		{"ids": 1, "trackerReplace": []any{7, a}},
		{"ids": 1, "trackerReplace": []any{0}},
		{"ids": 1, "trackerReplace": []any{"0", a}},
		{"ids": 1, "trackerReplace": []any{0, "gopher://x"}},
	} {
		require.NotEqual(t, "success", f.call(t, "torrent-set", bad, nil), "%v", bad)
		after, _ := f.srv.st.get(1)
		require.Equal(t, before, after, "%v", bad)
		require.Equal(t, [][]string{{c}, {a}, {b}}, live())
	}

	// Restart: the daemon's list is the torrent's again.
	require.NoError(t, f.c.StopAllAndSerialize())
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	f.srv, f.ts = srv2, httptest.NewServer(srv2)
	t.Cleanup(f.ts.Close)
	srv2.Resume()
	require.Equal(t, [][]string{{c}, {a}, {b}}, live())

	// A stopped torrent lists and edits its trackers too.
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": 1}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "trackerList": ""}, nil))
	require.Equal(t, "", list())
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": 1}, nil))
	require.Empty(t, live())
}
