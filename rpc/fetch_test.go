package rpc

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

// TestAddByURL: torrent-add fetches a .torrent named by an http URL; a
// missing one, a huge one and one that is not a torrent are refused and
// add nothing.
func TestAddByURL(t *testing.T) {
	f := newFixture(t, nil)
	raw, _ := makeTorrent(t, f.dir, "web", true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/web.torrent":
			_, _ = w.Write(raw)
		case "/huge.torrent":
			_, _ = w.Write(bytes.Repeat([]byte("x"), metainfo.MaxTorrentSize+10))
		case "/junk.torrent":
			_, _ = w.Write([]byte("<html>not a torrent</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	for _, bad := range []string{"/missing.torrent", "/huge.torrent", "/junk.torrent"} {
		res := f.call(t, "torrent-add", map[string]any{"filename": srv.URL + bad}, nil)
		require.Contains(t, res, "invalid or corrupt torrent file", bad)
	}
	require.Empty(t, f.get(t, []string{"id"}, nil))
	var added map[string]map[string]any
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"filename": srv.URL + "/web.torrent"}, &added))
	require.Equal(t, "web", added["torrent-added"]["name"])
	waitSeedingFull(t, f)
}
