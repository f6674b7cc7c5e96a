package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")

	require.NoError(t, Write(p, []byte("a long first version of the file"), 0o600))
	require.NoError(t, Write(p, []byte("short"), 0o600))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "short", string(got), "no tail of the longer old content survives")

	require.NoError(t, Write(p, nil, 0o600))
	got, err = os.ReadFile(p)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, []string{"state"}, names(t, dir), "no temp file left behind")
}

func TestWritePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows keeps only a read-only bit")
	}
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o600, 0o644, 0o640, 0o444} {
		p := filepath.Join(dir, perm.String())
		require.NoError(t, Write(p, []byte("x"), perm))
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, perm, fi.Mode().Perm(), "new file")
	}
	// Replacing a file gives the new mode, not the old one.
	p := filepath.Join(dir, "again")
	require.NoError(t, Write(p, []byte("x"), 0o644))
	require.NoError(t, Write(p, []byte("y"), 0o600))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestWriteParentMissing(t *testing.T) {
	dir := t.TempDir()
	err := Write(filepath.Join(dir, "missing", "state"), []byte("x"), 0o600)
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Empty(t, names(t, dir))
}

func TestWriteReadOnlyDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a directory's read-only bit does not stop file creation on Windows")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	require.NoError(t, Write(p, []byte("old"), 0o600))
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("running with privileges that ignore directory permissions")
	}

	require.ErrorIs(t, Write(p, []byte("new"), 0o600), os.ErrPermission)
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.Equal(t, []string{"state"}, names(t, dir))
}

// A failure after the temp file is written (the rename, here onto a
// non-empty directory) removes the temp file and leaves the target alone.
func TestWriteRenameOntoDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	require.NoError(t, os.Mkdir(p, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p, "inside"), []byte("kept"), 0o644))

	require.Error(t, Write(p, []byte("new"), 0o600))
	assert.Equal(t, []string{"state"}, names(t, dir), "no temp file left behind")
	got, err := os.ReadFile(filepath.Join(p, "inside"))
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got))
}

// When the rename fails, the previous file keeps its content whole and
// the written temp file is removed.
func TestWriteFailedRenameKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	require.NoError(t, Write(p, []byte("previous"), 0o600))

	boom := errors.New("rename refused")
	var renamedFrom string
	rename = func(from, to string) error {
		renamedFrom = from
		got, err := os.ReadFile(from)
		require.NoError(t, err)
		assert.Equal(t, "next", string(got), "the temp file holds the new content before the rename")
		return boom
	}
	t.Cleanup(func() { rename = os.Rename })

	require.ErrorIs(t, Write(p, []byte("next"), 0o600), boom)
	assert.Equal(t, dir, filepath.Dir(renamedFrom), "the temp file is in the target's directory")
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "previous", string(got))
	assert.Equal(t, []string{"state"}, names(t, dir), "no temp file left behind")
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	require.NoError(t, Write(p, []byte("good"), 0o600))
	for _, n := range []string{
		"state" + TempInfix + "123",    // torn temp of p
		"state" + TempInfix + "abc",    // another
		"other" + TempInfix + "123",    // another file's temp
		"state.tmp",                    // not a temp name
		"xstate" + TempInfix + "123",   // a different file's name
		"state" + TempInfix[:3] + "45", // ".tm45"
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("torn"), 0o644))
	}

	RemoveTemps(p)
	assert.ElementsMatch(t, []string{
		"state", "other" + TempInfix + "123", "state.tmp", "xstate" + TempInfix + "123", "state.tm45",
	}, names(t, dir))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "good", string(got))

	RemoveTemps(filepath.Join(dir, "missing", "state")) // no directory: nothing to do
}
