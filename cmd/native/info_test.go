package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

// braid info on a torrent with BEP 47 padding (as libtorrent 2.0 makes)
// shows the files' size and lists the real files only.
func TestInfoLeavesPaddingOut(t *testing.T) {
	type file struct {
		Length int64    `bencode:"length"`
		Path   []string `bencode:"path"`
		Attr   string   `bencode:"attr,omitempty"`
	}
	info := map[string]any{
		"name": "padded", "piece length": 16384, "pieces": string(make([]byte, 40)),
		"files": []file{{10000, []string{"a.bin"}, ""}, {6384, []string{".pad", "6384"}, "p"}, {9000, []string{"b.bin"}, ""}},
	}
	tb, err := bencode.Marshal(map[string]any{"info": info})
	require.NoError(t, err)
	tf := filepath.Join(t.TempDir(), "p.torrent")
	require.NoError(t, os.WriteFile(tf, tb, 0o644))
	code, stdout, stderr := runCLI(t, "", "info", tf)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "(19000 bytes in files, plus 6384 bytes of padding)")
	require.Contains(t, stdout, "files:        2 (and 1 padding files, not shown)")
	require.Contains(t, stdout, "padded/b.bin")
	require.NotContains(t, stdout, ".pad")
}
