package rpc

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/require"
)

func fileNames(t *testing.T, f *fixture) []any {
	t.Helper()
	var names []any
	for _, x := range f.get(t, []string{"files"}, nil)[0]["files"].([]any) {
		names = append(names, x.(map[string]any)["name"])
	}
	return names
}

func waitSeedingFull(t *testing.T, f *fixture) {
	t.Helper()
	waitFor(t, "seeding, all verified", func() bool {
		tor := f.get(t, []string{"status", "percentDone"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["percentDone"] == float64(1)
	})
}

// TestRenamePath renames a file and then the torrent's folder of a
// running torrent: on disk and in torrent-get, the torrent seeds from the
// renamed data, and the renames survive a restart of the server.
func TestRenamePath(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "ren")
	var out map[string]any
	require.Equal(t, "success", f.call(t, "torrent-rename-path", map[string]any{"ids": []int{1}, "path": "ren/a.bin", "name": "x.bin"}, &out))
	require.Equal(t, map[string]any{"path": "ren/a.bin", "name": "x.bin", "id": float64(1)}, out)
	require.NoFileExists(t, filepath.Join(f.dir, "ren", "a.bin"))
	got, err := os.ReadFile(filepath.Join(f.dir, "ren", "x.bin"))
	require.NoError(t, err)
	require.Equal(t, files["a.bin"], got)
	require.Equal(t, []any{"ren/x.bin", "ren/b.bin"}, fileNames(t, f))
	waitSeedingFull(t, f)

	require.Equal(t, "success", f.call(t, "torrent-rename-path", map[string]any{"ids": 1, "path": "ren", "name": "top"}, nil))
	require.NoDirExists(t, filepath.Join(f.dir, "ren"))
	got, err = os.ReadFile(filepath.Join(f.dir, "top", "x.bin"))
	require.NoError(t, err)
	require.Equal(t, files["a.bin"], got)
	require.Equal(t, []any{"top/x.bin", "top/b.bin"}, fileNames(t, f))
	require.Equal(t, "top", f.get(t, []string{"name"}, nil)[0]["name"])
	waitSeedingFull(t, f)

	// A stop and a start, and a new server on the same state, keep them.
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.Equal(t, []any{"top/x.bin", "top/b.bin"}, fileNames(t, f))
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	e, _ := srv2.st.get(1)
	require.Equal(t, "top", e.RenamedName)
	require.Equal(t, map[int][]string{0: {"x.bin"}}, e.RenamedFiles)
	require.Equal(t, "success", f.call(t, "torrent-start", nil, nil))
	waitSeedingFull(t, f)

	// Removing a stopped renamed torrent with its data deletes the renamed files.
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.Equal(t, "success", f.call(t, "torrent-remove", map[string]any{"ids": 1, "delete-local-data": true}, nil))
	require.NoDirExists(t, filepath.Join(f.dir, "top"))
}

// TestRenamePathSingleFile: a single-file torrent's file is its name.
func TestRenamePathSingleFile(t *testing.T) {
	f := newFixture(t, nil)
	raw, data := makeSingle(t, f.dir, "one.bin")
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	waitSeedingFull(t, f)
	require.Equal(t, "success", f.call(t, "torrent-rename-path", map[string]any{"ids": 1, "path": "one.bin", "name": "two.bin"}, nil))
	got, err := os.ReadFile(filepath.Join(f.dir, "two.bin"))
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.NoFileExists(t, filepath.Join(f.dir, "one.bin"))
	require.Equal(t, "two.bin", f.get(t, []string{"name"}, nil)[0]["name"])
	waitSeedingFull(t, f)
}

// TestRenamePathBadInput: each bad request gets an error and changes
// nothing, on disk or in the torrent's view.
func TestRenamePathBadInput(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "bad")
	outside := filepath.Join(filepath.Dir(f.dir), "escaped")
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": ".."}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": "."}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": "../../escaped"}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": "sub/x"}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": `sub\x`}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": ""}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": "nul\x00"}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": 5}, `invalid argument "name"`},
		{map[string]any{"ids": 1, "path": "bad/a.bin"}, "no name"},
		{map[string]any{"ids": 1, "name": "x"}, "no path"},
		{map[string]any{"ids": 1, "path": "../escaped", "name": "x"}, `invalid argument "path"`},
		{map[string]any{"ids": 1, "path": "/etc/passwd", "name": "x"}, `invalid argument "path"`},
		{map[string]any{"ids": 1, "path": "bad/../bad/a.bin", "name": "x"}, `invalid argument "path"`},
		{map[string]any{"ids": 1, "path": "bad/none.bin", "name": "x"}, "no file or folder"},
		{map[string]any{"ids": 1, "path": "bad/a.bin", "name": "b.bin"}, "already has"},
		{map[string]any{"ids": []int{9}, "path": "bad/a.bin", "name": "x"}, "exactly one"},
	} {
		res := f.call(t, "torrent-rename-path", tc.args, nil)
		require.Contains(t, res, tc.want, "%v", tc.args)
	}
	require.NoFileExists(t, outside)
	requireFiles(t, f.dir, "bad", files)
	require.Equal(t, []any{"bad/a.bin", "bad/b.bin"}, fileNames(t, f))
	e, _ := f.srv.st.get(1)
	require.Empty(t, e.RenamedName)
	require.Empty(t, e.RenamedFiles)
	// A name taken on disk by something else is refused too.
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "bad", "taken"), []byte("x"), 0o644))
	require.Contains(t, f.call(t, "torrent-rename-path", map[string]any{"ids": 1, "path": "bad/a.bin", "name": "taken"}, nil), "already exists")
	requireFiles(t, f.dir, "bad", files)
	waitSeedingFull(t, f)
}

// makeSingle builds a single-file torrent and writes its data under dir.
func makeSingle(t *testing.T, dir, name string) ([]byte, []byte) {
	t.Helper()
	data := bytes.Repeat([]byte("s"), 40_000)
	raw, err := metainfo.Create(metainfo.CreateOptions{Name: name, PieceLength: 16384, SingleFile: true,
		Files: []metainfo.FileSpec{{Path: []string{name}, Length: int64(len(data))}}}, bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	return raw, data
}
