//go:build !js

package persist

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
)

var updateRecordFixture = flag.Bool("update", false, "write testdata/resume/v<RecordVersion> with the current encoder")

// recordVersionsRead are the record format versions DecodeRecord accepts.
// A new format adds its version here (and a fixture, written by
// TestWriteRecordFixture -update); an old one stays while it is still read.
var recordVersionsRead = []int{1}

// The record fixtures describe the libtorrent v1 fixture torrent (5 pieces
// of 16 KiB), with pieces 0, 2 and 4 done.
const recordFixtureTorrent = "libtorrent-v1"

var recordFixturePieces = []int{0, 2, 4}

// fixtureRecord is the record TestWriteRecordFixture writes for mi, and so
// what every version's fixture must load as.
func fixtureRecord(t *testing.T, mi *metainfo.MetaInfo, tor testfixtures.Torrent) *Record {
	t.Helper()
	bf := bitfield.New(mi.Info.NumPieces())
	for _, p := range recordFixturePieces {
		bf.Set(p)
	}
	content, err := tor.ContentFiles()
	require.NoError(t, err)
	sizes := map[string]int64{}
	for _, c := range content {
		sizes[c.Path] = c.Length
	}
	files := make([]FileState, len(mi.Info.Files))
	prios := make([]int, len(mi.Info.Files))
	for i, f := range mi.Info.Files {
		size, ok := sizes[filepath.ToSlash(filepath.Join(f.Path...))]
		require.True(t, ok, "torrent file %v is in the content", f.Path)
		files[i] = FileState{Size: size, MTime: 1_704_067_200_000_000_000 + int64(i)}
		prios[i] = 1
	}
	prios[1] = 0 // one file deselected
	return &Record{
		Version:        RecordVersion,
		InfoHash:       mi.InfoHash[:],
		Info:           mi.InfoBytes,
		Name:           mi.Info.Name,
		Trackers:       mi.Tiers(),
		URLList:        mi.URLList,
		SavePath:       "/srv/braid/downloads",
		Bitfield:       bf.Bytes(),
		NumPieces:      mi.Info.NumPieces(),
		FilePriorities: prios,
		Uploaded:       12345,
		Downloaded:     int64(len(recordFixturePieces)) * mi.Info.PieceLength,
		AddedAt:        1_704_067_200,
		Files:          files,
		Paused:         true,
	}
}

func recordFixtureMetaInfo(t *testing.T) (*metainfo.MetaInfo, testfixtures.Torrent) {
	t.Helper()
	tor, err := testfixtures.TorrentNamed(recordFixtureTorrent)
	require.NoError(t, err)
	b, err := tor.Bytes()
	require.NoError(t, err)
	mi, err := metainfo.Parse(b)
	require.NoError(t, err)
	return mi, tor
}

// TestWriteRecordFixture writes the current version's record fixture with
// -update (scripts/make-testdata.sh runs it). Older versions' fixtures are
// never rewritten: they are what earlier Braid releases left on disk.
func TestWriteRecordFixture(t *testing.T) {
	if !*updateRecordFixture {
		t.Skip("run with -update to write testdata/resume/v" + strconv.Itoa(RecordVersion))
	}
	mi, tor := recordFixtureMetaInfo(t)
	dir := testfixtures.Path("resume", fmt.Sprintf("v%d", RecordVersion))
	require.NoError(t, os.RemoveAll(dir))
	s, err := NewFileStateStore(dir)
	require.NoError(t, err)
	require.NoError(t, s.Save(fixtureRecord(t, mi, tor)))
}

// TestRecordVersionFixtures loads the record fixture of every format version
// through a FileStateStore, as Braid does at startup: a version Braid reads
// yields the saved bitfield for the right torrent, any other is refused.
func TestRecordVersionFixtures(t *testing.T) {
	require.Contains(t, recordVersionsRead, RecordVersion, "Braid reads what it writes")
	records, err := testfixtures.ResumeRecords()
	require.NoError(t, err)
	for _, v := range recordVersionsRead {
		require.Contains(t, records, v, "no fixture for record version %d: run TestWriteRecordFixture -update", v)
	}
	mi, tor := recordFixtureMetaInfo(t)
	// The hash libtorrent reported, not one Braid computed.
	wantHash, err := hex.DecodeString(tor.InfoHash)
	require.NoError(t, err)
	var ih [20]byte
	require.Len(t, wantHash, len(ih))
	copy(ih[:], wantHash)

	for _, v := range testfixtures.Versions(records) {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			path := records[v]
			require.Equal(t, tor.InfoHash+".resume", filepath.Base(path), "records are named by hex info hash")
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.Contains(raw, []byte("20:braid_resume_versioni"+strconv.Itoa(v)+"e")), "fixture is version %d", v)

			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(path)), raw, 0o644))
			s, err := NewFileStateStore(dir)
			require.NoError(t, err)
			list, err := s.List()
			require.NoError(t, err)
			assert.Equal(t, [][20]byte{ih}, list)

			rec, err := s.Load(ih)
			if !slices.Contains(recordVersionsRead, v) {
				require.ErrorIs(t, err, ErrCorruptRecord, "a version Braid does not read is refused")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, v, rec.Version)
			assert.Equal(t, wantHash, rec.InfoHash)
			bf, err := bitfield.FromBytes(rec.Bitfield, rec.NumPieces)
			require.NoError(t, err)
			assert.Equal(t, 5, bf.Len())
			assert.Equal(t, recordFixturePieces, bf.Indices())
			assert.Equal(t, "braid-tools", rec.Name)
			assert.Equal(t, [][]string{{"http://127.0.0.1:6969/announce"}}, rec.Trackers)
			assert.Equal(t, []int{1, 0, 1, 1, 1}, rec.FilePriorities)
			assert.True(t, rec.Paused)

			want := fixtureRecord(t, mi, tor)
			want.Version = v
			assert.Equal(t, want, rec, "every field survives")
		})
	}
}

// TestRecordFixtureFutureVersion: the current fixture relabelled with the
// next, unknown version is refused, not trusted.
func TestRecordFixtureFutureVersion(t *testing.T) {
	records, err := testfixtures.ResumeRecords()
	require.NoError(t, err)
	path, ok := records[RecordVersion]
	require.True(t, ok)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	key := func(v int) []byte { return []byte("20:braid_resume_versioni" + strconv.Itoa(v) + "e") }
	require.Equal(t, 1, bytes.Count(raw, key(RecordVersion)))
	future := bytes.Replace(raw, key(RecordVersion), key(RecordVersion+1), 1)
	_, err = DecodeRecord(future)
	require.ErrorIs(t, err, ErrCorruptRecord)
	assert.Contains(t, err.Error(), fmt.Sprintf("unknown version %d", RecordVersion+1))
}
