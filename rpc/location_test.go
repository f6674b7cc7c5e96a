package rpc

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// addComplete adds the two-file torrent "name" whose data is in f.dir and
// waits until it seeds.
func addComplete(t *testing.T, f *fixture, name string) map[string][]byte {
	t.Helper()
	raw, files := makeTorrent(t, f.dir, name, true)
	require.Equal(t, "success", f.call(t, "torrent-add", map[string]any{"metainfo": base64.StdEncoding.EncodeToString(raw)}, nil))
	waitFor(t, "seeding", func() bool { return f.get(t, []string{"status"}, nil)[0]["status"] == float64(statusSeed) })
	return files
}

func requireFiles(t *testing.T, dir, name string, files map[string][]byte) {
	t.Helper()
	for n, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name, n))
		require.NoError(t, err)
		require.Equal(t, want, got, n)
	}
}

func savePath(t *testing.T, f *fixture) string {
	t.Helper()
	hs := f.c.List()
	require.Len(t, hs, 1, "the torrent is running")
	g, err := f.c.Get(hs[0], "save_path")
	require.NoError(t, err)
	return g["save_path"].(string)
}

// TestSetLocationMove: move true copies, verifies, switches and deletes
// the old data; the torrent seeds from the new place, after a restart of
// the server too.
func TestSetLocationMove(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "mv")
	to := filepath.Join(t.TempDir(), "new", "place")
	require.Equal(t, "success", f.call(t, "torrent-set-location", map[string]any{"ids": []int{1}, "location": to, "move": true}, nil))
	requireFiles(t, to, "mv", files)
	require.NoDirExists(t, filepath.Join(f.dir, "mv"), "the old copy is deleted")
	require.DirExists(t, f.dir, "the download directory itself stays")
	require.Equal(t, to, savePath(t, f))
	waitFor(t, "seeding", func() bool {
		tor := f.get(t, []string{"status", "percentDone", "downloadDir"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["percentDone"] == float64(1) && tor["downloadDir"] == to
	})
	srv2, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state})
	require.NoError(t, err)
	e, _ := srv2.st.get(1)
	require.Equal(t, to, e.Dir, "the location is saved")
}

// TestSetLocationMoveFailures: a target that cannot be written, and a
// copy that does not match its source, leave the old data, the torrent
// running from it, no partial copy, and an error as the answer.
func TestSetLocationMoveFailures(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "stay")
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, []byte("x"), 0o644))

	res := f.call(t, "torrent-set-location", map[string]any{"ids": 1, "location": filepath.Join(blocker, "sub"), "move": true}, nil)
	require.Contains(t, res, "the data stays in "+f.dir)
	requireFiles(t, f.dir, "stay", files)
	require.Equal(t, f.dir, savePath(t, f))
	require.Equal(t, f.dir, f.get(t, []string{"downloadDir"}, nil)[0]["downloadDir"])

	to := filepath.Join(t.TempDir(), "to")
	afterCopy = func(dst string) { require.NoError(t, os.WriteFile(dst, []byte("corrupt"), 0o644)) }
	t.Cleanup(func() { afterCopy = nil })
	res = f.call(t, "torrent-set-location", map[string]any{"ids": 1, "location": to, "move": true}, nil)
	afterCopy = nil
	require.Contains(t, res, "differs from the original")
	requireFiles(t, f.dir, "stay", files)
	require.NoDirExists(t, filepath.Join(to, "stay"), "the partial copy is removed")
	require.Equal(t, f.dir, savePath(t, f))
	waitFor(t, "seeding from the old place", func() bool {
		tor := f.get(t, []string{"status", "percentDone", "downloadDir"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["percentDone"] == float64(1) && tor["downloadDir"] == f.dir
	})

	// A file already at the target is not overwritten.
	require.NoError(t, os.MkdirAll(filepath.Join(to, "stay"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(to, "stay", "b.bin"), []byte("mine"), 0o644))
	res = f.call(t, "torrent-set-location", map[string]any{"ids": 1, "location": to, "move": true}, nil)
	require.Contains(t, res, "exists")
	got, err := os.ReadFile(filepath.Join(to, "stay", "b.bin"))
	require.NoError(t, err)
	require.Equal(t, "mine", string(got))
	require.NoFileExists(t, filepath.Join(to, "stay", "a.bin"), "the copy made before the failure is removed")
	requireFiles(t, f.dir, "stay", files)
}

// TestSetLocationFind: move false points the torrent at a place and
// verifies what is there: an empty place has nothing, the old one all.
func TestSetLocationFind(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "find")
	empty := t.TempDir()
	require.Equal(t, "success", f.call(t, "torrent-set-location", map[string]any{"ids": 1, "location": empty}, nil))
	require.Equal(t, empty, savePath(t, f))
	waitFor(t, "nothing verified at the empty place", func() bool {
		tor := f.get(t, []string{"status", "haveValid", "downloadDir"}, nil)[0]
		return tor["status"] == float64(statusDownload) && tor["haveValid"] == float64(0) && tor["downloadDir"] == empty
	})
	requireFiles(t, f.dir, "find", files)

	// Stopped: only the place changes; the next start verifies there.
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.Equal(t, "success", f.call(t, "torrent-set-location", map[string]any{"ids": 1, "location": f.dir, "move": false}, nil))
	require.Empty(t, f.c.List(), "a stopped torrent stays stopped")
	require.Equal(t, "success", f.call(t, "torrent-start", nil, nil))
	waitFor(t, "seeding at the data again", func() bool {
		tor := f.get(t, []string{"status", "percentDone"}, nil)[0]
		return tor["status"] == float64(statusSeed) && tor["percentDone"] == float64(1)
	})
	require.Equal(t, f.dir, savePath(t, f))
}

func TestSetLocationBadInput(t *testing.T) {
	f := newFixture(t, nil)
	files := addComplete(t, f, "bad")
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"ids": 1}, "no location"},
		{map[string]any{"ids": 1, "location": "relative/dir"}, "not absolute"},
		{map[string]any{"ids": 1, "location": "../../etc", "move": true}, "not absolute"},
		{map[string]any{"ids": 1, "location": 7}, `invalid argument "location"`},
		{map[string]any{"ids": 1, "location": "/tmp/x", "move": "yes"}, `invalid argument "move"`},
		{map[string]any{"ids": map[string]any{}, "location": "/tmp/x"}, `invalid argument "ids"`},
	} {
		res := f.call(t, "torrent-set-location", tc.args, nil)
		require.Contains(t, res, tc.want, "%v", tc.args)
	}
	require.Equal(t, f.dir, savePath(t, f))
	require.Equal(t, f.dir, f.get(t, []string{"downloadDir"}, nil)[0]["downloadDir"])
	requireFiles(t, f.dir, "bad", files)
	_, err := safeRel("a/../../b")
	require.Error(t, err)
	_, err = safeRel("/abs")
	require.Error(t, err)
	rel, err := safeRel("name/dir/f")
	require.NoError(t, err)
	require.Equal(t, filepath.Join("name", "dir", "f"), rel)
}

// TestVerifyStopped: torrent-verify of a stopped torrent checks its data
// and leaves it stopped, reporting what the check found.
func TestVerifyStopped(t *testing.T) {
	f := newFixture(t, nil)
	addComplete(t, f, "ver")
	require.Equal(t, "success", f.call(t, "torrent-stop", nil, nil))
	require.EqualValues(t, 1, f.get(t, []string{"percentDone"}, nil)[0]["percentDone"])
	file, err := os.OpenFile(filepath.Join(f.dir, "ver", "a.bin"), os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = file.WriteAt([]byte("corrupt"), 0)
	require.NoError(t, err)
	require.NoError(t, file.Close())
	require.Equal(t, "success", f.call(t, "torrent-verify", map[string]any{"ids": 1}, nil))
	waitFor(t, "checked and stopped again", func() bool {
		tor := f.get(t, []string{"status", "percentDone"}, nil)[0]
		return len(f.c.List()) == 0 && tor["status"] == float64(statusStopped) && tor["percentDone"].(float64) < 1
	})
	require.Less(t, f.get(t, []string{"haveValid"}, nil)[0]["haveValid"].(float64), 100_000.0)
}
