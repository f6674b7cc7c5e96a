//go:build !js

package persist

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/atomicfile"
)

// tempInfix names the temp files of a record's write:
// <hex info hash>.resume.tmp-<random>.
const tempInfix = recordSuffix + atomicfile.TempInfix

func TestFileStateStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	s, err := NewFileStateStore(dir)
	require.NoError(t, err)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	testStateStore(t, s)
}

func newStoreWithRecord(t *testing.T) (*FileStateStore, *Record, *metainfo.MetaInfo) {
	t.Helper()
	s, err := NewFileStateStore(t.TempDir())
	require.NoError(t, err)
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	r := sampleRecord(mi)
	require.NoError(t, s.Save(r))
	return s, r, mi
}

func TestFileStateStoreLayout(t *testing.T) {
	s, r, mi := newStoreWithRecord(t)
	p := filepath.Join(s.Dir(), hex.EncodeToString(mi.InfoHash[:])+".resume")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	want, err := EncodeRecord(r)
	require.NoError(t, err)
	assert.Equal(t, want, b)
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file left behind")
}

// A crash during Save leaves a torn temp file; the previous record still loads
// and the next Save (after the store is opened again) removes the debris.
func TestFileStateStoreTornTemp(t *testing.T) {
	s, r, mi := newStoreWithRecord(t)
	good, err := EncodeRecord(r)
	require.NoError(t, err)
	name := hex.EncodeToString(mi.InfoHash[:])
	torn := filepath.Join(s.Dir(), name+tempInfix+"12345")
	require.NoError(t, os.WriteFile(torn, good[:len(good)/3], 0o644))
	// The crash ended the process: the next one opens the store anew.
	s, err = NewFileStateStore(s.Dir())
	require.NoError(t, err)

	got, err := s.Load(mi.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, r, got)
	list, err := s.List()
	require.NoError(t, err)
	assert.Equal(t, [][20]byte{mi.InfoHash}, list)

	r.Downloaded++
	require.NoError(t, s.Save(r))
	_, err = os.Stat(torn)
	assert.ErrorIs(t, err, os.ErrNotExist)
	got, err = s.Load(mi.InfoHash)
	require.NoError(t, err)
	assert.Equal(t, r.Downloaded, got.Downloaded)
}

func TestFileStateStoreCorrupt(t *testing.T) {
	s, r, mi := newStoreWithRecord(t)
	p := filepath.Join(s.Dir(), hex.EncodeToString(mi.InfoHash[:])+".resume")
	good, err := EncodeRecord(r)
	require.NoError(t, err)

	for name, content := range map[string][]byte{
		"truncated": good[:len(good)-7],
		"garbage":   []byte("\x00\x01garbage"),
		"empty":     {},
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(p, content, 0o644))
			got, err := s.Load(mi.InfoHash)
			require.ErrorIs(t, err, ErrCorruptRecord)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), p)
		})
	}

	t.Run("record under another hash", func(t *testing.T) {
		require.NoError(t, os.WriteFile(p, good, 0o644))
		var other [20]byte
		other[0] = 1
		require.NoError(t, os.Rename(p, filepath.Join(s.Dir(), hex.EncodeToString(other[:])+".resume")))
		_, err := s.Load(other)
		require.ErrorIs(t, err, ErrCorruptRecord)
	})
}

func TestFileStateStoreListIgnoresStrangers(t *testing.T) {
	s, _, mi := newStoreWithRecord(t)
	for _, n := range []string{
		"notes.txt",
		strings.Repeat("A", 40) + ".resume", // upper-case hex is not how Braid names records
		strings.Repeat("z", 40) + ".resume",
		"abc.resume",
		hex.EncodeToString(mi.InfoHash[:]) + tempInfix + "99",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), n), []byte("x"), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(s.Dir(), strings.Repeat("b", 40)+".resume"), 0o755))
	list, err := s.List()
	require.NoError(t, err)
	assert.Equal(t, [][20]byte{mi.InfoHash}, list)
}
