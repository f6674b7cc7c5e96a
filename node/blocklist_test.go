//go:build !js

package node

import (
	"bytes"
	"compress/gzip"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/blocklist"
)

func blockNode(t *testing.T, list string) (*Node, error) {
	t.Helper()
	n, err := New(Config{StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0", NoUTP: true, NoDHT: true,
		NoPortMapping: true, NoWebRTC: true, Blocklist: list})
	if err == nil {
		t.Cleanup(func() { _ = n.Close() })
	}
	return n, err
}

func TestBlocklistFileAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.p2p")
	require.NoError(t, os.WriteFile(path, []byte("local:127.0.0.2-127.0.0.2\n"), 0o600))
	n, err := blockNode(t, path)
	require.NoError(t, err)
	assert.Equal(t, 1, n.BlocklistLen())

	// The engine refuses a blocked incoming connection at once.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c, err := d.Dial("tcp", n.ListenAddr())
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.Eventually(t, func() bool { return n.Blocked() == 1 }, 5*time.Second, 10*time.Millisecond)

	// A malformed replacement keeps the current list.
	require.NoError(t, os.WriteFile(path, []byte("local:127.0.0.3-127.0.0.3\njunk\n"), 0o600))
	err = n.ReloadBlocklist()
	require.ErrorIs(t, err, ErrBlocklist)
	require.ErrorIs(t, err, blocklist.ErrMalformed)
	assert.Contains(t, err.Error(), "line 2")
	assert.True(t, n.blocks.blocked(netip.MustParseAddr("127.0.0.2")))

	require.NoError(t, os.WriteFile(path, []byte("local:127.0.0.3-127.0.0.3\n"), 0o600))
	require.NoError(t, n.ReloadBlocklist())
	assert.False(t, n.blocks.blocked(netip.MustParseAddr("127.0.0.2")))
	assert.True(t, n.blocks.blocked(netip.MustParseAddr("127.0.0.3")))
}

func TestBlocklistErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.dat")
	require.NoError(t, os.WriteFile(bad, []byte("1.2.3.4 - 1.2.3.5 , 0 , ok\n1.2.3.4 - x , 0 , bad\n"), 0o600))
	_, err := blockNode(t, bad)
	require.ErrorIs(t, err, ErrBlocklist)
	assert.Contains(t, err.Error(), "blocklist line 2")

	_, err = blockNode(t, filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, ErrBlocklist)
	require.ErrorIs(t, err, os.ErrNotExist)

	n, err := blockNode(t, "")
	require.NoError(t, err)
	require.ErrorIs(t, n.ReloadBlocklist(), ErrBlocklist, "no list to reload")
	assert.False(t, n.blocks.blocked(netip.MustParseAddr("127.0.0.2")))
}

func TestBlocklistURL(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("a:10.1.0.0-10.1.255.255\n"))
	require.NoError(t, zw.Close())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/list.gz":
			_, _ = w.Write(gz.Bytes())
		case "/huge":
			chunk := bytes.Repeat([]byte("# comment\n"), 1<<16)
			for i := 0; i*len(chunk) <= MaxBlocklistDownload; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	n, err := blockNode(t, srv.URL+"/list.gz")
	require.NoError(t, err)
	assert.True(t, n.blocks.blocked(netip.MustParseAddr("10.1.2.3")))

	_, err = blockNode(t, srv.URL+"/missing")
	require.ErrorIs(t, err, ErrBlocklist)
	assert.Contains(t, err.Error(), "404")

	_, err = blockNode(t, srv.URL+"/huge")
	require.ErrorIs(t, err, errDownloadTooLarge)
}
