package rpc

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// File priorities: torrent-add's priority-* and torrent-set's reach the
// running torrent at once (no restart), torrent-get reports them in
// priorities and fileStats, and they survive a restart of the daemon.
func TestFilePriorities(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "prio", false) // no data, no peers: stays downloading
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{
		"metainfo": base64.StdEncoding.EncodeToString(raw), "priority-low": []int{0}, "priority-high": []int{1}}, nil))
	engine := func() []braid.FilePriority {
		t.Helper()
		e, _ := f.srv.st.get(1)
		tor := f.srv.active(e)
		require.NotNil(t, tor)
		<-tor.Checked()
		p, err := tor.FilePriorities()
		require.NoError(t, err)
		return p
	}
	rpcView := func() ([]any, []any) {
		tor := f.get(t, []string{"priorities", "fileStats"}, 1)[0]
		var fs []any
		for _, s := range tor["fileStats"].([]any) {
			fs = append(fs, s.(map[string]any)["priority"])
		}
		return tor["priorities"].([]any), fs
	}
	require.Equal(t, []braid.FilePriority{braid.FileLow, braid.FileHigh}, engine())
	p, fs := rpcView()
	require.Equal(t, []any{float64(-1), float64(1)}, p)
	require.Equal(t, p, fs)

	e, _ := f.srv.st.get(1)
	running := f.srv.active(e)
	// An empty list names every file; later keys win over earlier ones.
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "priority-high": []int{}, "priority-low": []int{1}}, nil))
	require.Same(t, running, f.srv.active(e), "no restart")
	require.Equal(t, []braid.FilePriority{braid.FileHigh, braid.FileLow}, engine())
	p, _ = rpcView()
	require.Equal(t, []any{float64(1), float64(-1)}, p)

	// Unwanted keeps its priority for when it is wanted again.
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "files-unwanted": []int{0}}, nil))
	require.Equal(t, []braid.FilePriority{braid.FileSkip, braid.FileLow}, engine())
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "files-wanted": []int{0}}, nil))
	require.Equal(t, []braid.FilePriority{braid.FileHigh, braid.FileLow}, engine())

	// Bad input: nothing changes, in the daemon or the engine.
	before, _ := f.srv.st.get(1)
	for _, bad := range []map[string]any{
		{"ids": 1, "priority-high": []int{2}},
		{"ids": 1, "priority-low": []int{0, -3}},
		{"ids": 1, "priority-normal": []string{"0"}},
		{"ids": 1, "priority-high": 1},
		{"ids": 1, "priority-low": []int{0}, "files-unwanted": []int{}},
	} {
		require.NotEqual(t, "success", f.call(t, "torrent-set", bad, nil), "%v", bad)
		after, _ := f.srv.st.get(1)
		require.Equal(t, before, after, "%v", bad)
		require.Equal(t, []braid.FilePriority{braid.FileHigh, braid.FileLow}, engine())
	}

	// A restart of the daemon: the choice comes back, in both.
	require.NoError(t, f.c.StopAllAndSerialize())
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	f.srv, f.ts = srv2, httptest.NewServer(srv2)
	t.Cleanup(f.ts.Close)
	srv2.Resume()
	require.Equal(t, []braid.FilePriority{braid.FileHigh, braid.FileLow}, engine())
	p, _ = rpcView()
	require.Equal(t, []any{float64(1), float64(-1)}, p)

	// A stopped torrent keeps a change for its next start.
	require.Equal(t, "success", f.call(t, "torrent-stop", map[string]any{"ids": 1}, nil))
	require.Equal(t, "success", f.call(t, "torrent-set", map[string]any{"ids": 1, "priority-normal": []int{0}, "files-unwanted": []int{1}}, nil))
	p, _ = rpcView()
	require.Equal(t, []any{float64(0), float64(-1)}, p)
	require.Equal(t, "success", f.call(t, "torrent-start", map[string]any{"ids": 1}, nil))
	require.Equal(t, []braid.FilePriority{braid.FileNormal, braid.FileSkip}, engine())
}
