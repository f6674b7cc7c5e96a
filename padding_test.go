//go:build !js

package braid_test

import (
	"context"
	"crypto/sha1"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid"
)

// A torrent with BEP 47 padding files (as libtorrent 2.0 and qBittorrent
// make them) seeds from data that has no padding on disk, and its file
// list shows only the real files, with their indexes in the torrent.
func TestPaddingFilesStayOutOfSight(t *testing.T) {
	const pieceLen = 32 << 10
	a, b := make([]byte, 40_000), make([]byte, 50_000)
	for i := range a {
		a[i] = byte(i * 7)
	}
	for i := range b {
		b[i] = byte(i * 13)
	}
	pad := make([]byte, pieceLen-len(a)%pieceLen)
	stream := append(append(append([]byte(nil), a...), pad...), b...)
	var pieces []byte
	for off := 0; off < len(stream); off += pieceLen {
		h := sha1.Sum(stream[off:min(off+pieceLen, len(stream))])
		pieces = append(pieces, h[:]...)
	}
	type file struct {
		Length int64    `bencode:"length"`
		Path   []string `bencode:"path"`
		Attr   string   `bencode:"attr,omitempty"`
	}
	info := struct {
		Files       []file `bencode:"files"`
		Name        string `bencode:"name"`
		PieceLength int64  `bencode:"piece length"`
		Pieces      []byte `bencode:"pieces"`
	}{[]file{{int64(len(a)), []string{"a.bin"}, ""}, {int64(len(pad)), []string{".pad", "25536"}, "p"},
		{int64(len(b)), []string{"b.bin"}, ""}}, "padded", pieceLen, pieces}
	tb, err := bencode.Marshal(map[string]any{"info": info})
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "padded"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "padded", "a.bin"), a, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "padded", "b.bin"), b, 0o644))
	c := newTestClient(t, dir)
	tor, err := c.DownloadBytes(context.Background(), tb)
	require.NoError(t, err)
	waitDone(t, tor, 10*time.Second) // every piece verified, the padding read as zeros

	var files []braid.FileEntry
	require.Eventually(t, func() bool { // file progress is published on the next tick
		files, err = c.ListFiles(tor.InfoHash())
		require.NoError(t, err)
		return len(files) > 0 && files[0].Complete
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, files, 2)
	require.Equal(t, braid.FileEntry{Index: 0, Path: "padded/a.bin", Name: "a.bin", Length: int64(len(a)),
		Downloaded: int64(len(a)), Progress: 1, Complete: true}, files[0])
	require.Equal(t, 2, files[1].Index)
	require.Equal(t, "padded/b.bin", files[1].Path)
	// Sizes and progress count the files' bytes, not the padding.
	st, err := c.Stats(tor.InfoHash(), "bytes_size", "downloaded", "left", "progress")
	require.NoError(t, err)
	require.Equal(t, int64(len(a)+len(b)), st["bytes_size"])
	require.Equal(t, int64(len(a)+len(b)), st["downloaded"])
	require.Equal(t, int64(0), st["left"])
	require.Equal(t, 1.0, st["progress"])
	_, err = os.Stat(filepath.Join(dir, "padded", ".pad"))
	require.True(t, os.IsNotExist(err), "a padding file was written")
}
