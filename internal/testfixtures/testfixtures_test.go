package testfixtures

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryTorrentDescribed: a .torrent without a sidecar would be skipped
// by every test that ranges over Torrents, so none may exist.
func TestEveryTorrentDescribed(t *testing.T) {
	files, err := filepath.Glob(Path("torrents", "*.torrent"))
	require.NoError(t, err)
	torrents, err := Torrents()
	require.NoError(t, err)
	require.Len(t, torrents, len(files))
	for _, tor := range torrents {
		assert.FileExists(t, tor.File)
		assert.DirExists(t, tor.Content)
		assert.True(t, tor.V1() || tor.V2(), "%s names an info hash", tor.Name)
		if tor.V1() {
			assert.Regexp(t, "^[0-9a-f]{40}$", tor.InfoHash, tor.Name)
		}
		if tor.V2() {
			assert.Regexp(t, "^[0-9a-f]{64}$", tor.InfoHashV2, tor.Name)
		}
		assert.Positive(t, tor.PieceLength)
		assert.NotEmpty(t, tor.MadeBy)
		assert.NotEmpty(t, tor.HashReportedBy)
	}
	_, err = TorrentNamed("no-such-torrent")
	assert.Error(t, err)
}

func TestMagnetsNameTorrents(t *testing.T) {
	magnets, err := Magnets()
	require.NoError(t, err)
	raw, err := os.ReadFile(Path("magnets.txt"))
	require.NoError(t, err)
	require.Len(t, magnets, strings.Count(string(raw), "\nmagnet:"), "every link is read")
	for _, m := range magnets {
		assert.True(t, strings.HasPrefix(m.URI, "magnet:?"), m.URI)
		assert.NotEmpty(t, m.How)
		_, err := TorrentNamed(m.Torrent)
		assert.NoError(t, err)
	}
}

func TestResumeRecords(t *testing.T) {
	records, err := ResumeRecords()
	require.NoError(t, err)
	require.NotEmpty(t, records)
	versions := Versions(records)
	assert.Equal(t, 1, versions[0], "the first record format is kept")
	for _, v := range versions {
		assert.FileExists(t, records[v])
	}
}
