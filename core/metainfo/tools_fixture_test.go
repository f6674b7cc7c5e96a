package metainfo

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// v2Supported says whether Braid reads BitTorrent v2 (BEP 52) metadata.
// While false, a v2-only torrent and a btmh-only magnet must be refused with
// ErrUnsupported and an error naming v2; flip it when v2 support lands and
// these tests then demand that both parse.
const v2Supported = true

// The tool-made torrents in the top-level testdata/torrents all describe
// testdata/content/braid-tools with these settings (scripts/make-testdata.sh).
const (
	toolFixtureName    = "braid-tools"
	toolFixtureTracker = "http://127.0.0.1:6969/announce"
	toolFixtureComment = "Braid fixture"
)

// TestToolTorrents parses every torrent made by a real tool and checks it
// against the tool's own report (info hash) and the content on disk (files,
// lengths, piece hashes).
func TestToolTorrents(t *testing.T) {
	torrents, err := testfixtures.Torrents()
	require.NoError(t, err)
	var v1, v2only, hybrid int
	for _, tor := range torrents {
		t.Run(tor.Name, func(t *testing.T) {
			data, err := tor.Bytes()
			require.NoError(t, err)
			m, err := Parse(data)
			if !tor.V1() {
				v2only++
				requireV2Refused(t, err)
				if !v2Supported {
					return
				}
			}
			require.NoError(t, err, "made by %s", tor.MadeBy)
			if tor.V2() {
				if tor.V1() {
					hybrid++
				}
				checkToolV2(t, tor, m)
			} else {
				v1++
				assert.False(t, m.Info.HasV2())
				assert.Zero(t, m.InfoHashV2, "no v2 hash without a file tree")
				assert.Nil(t, m.Info.FilesV2)
				assert.Nil(t, m.PieceLayers)
			}
			if !tor.V1() {
				assert.Zero(t, m.InfoHash, "no v1 hash without v1 keys")
				assert.False(t, m.Info.HasV1())
				assert.Empty(t, m.Info.Pieces)
			} else {
				assert.True(t, m.Info.HasV1())
			}
			if tor.V1() {
				assert.Equal(t, tor.InfoHash, hexHash(m.InfoHash), "info hash %s reported", tor.HashReportedBy)
			}
			assert.Equal(t, toolFixtureName, m.Info.Name)
			assert.True(t, m.Info.MultiFile)
			assert.False(t, m.Info.Private)
			assert.Equal(t, tor.PieceLength, m.Info.PieceLength)
			assert.Equal(t, toolFixtureComment, m.Comment)
			require.NotEmpty(t, m.Tiers())
			assert.Equal(t, toolFixtureTracker, m.Tiers()[0][0])

			checkToolFiles(t, tor, m.Info)
			if tor.V1() {
				verifyPieces(t, m.Info, tor.Content)
			}
		})
	}
	// Each kind must be present, or the tests above prove less than they claim.
	assert.GreaterOrEqual(t, v1, 4, "v1-only torrents (libtorrent, transmission, mktorrent, create-torrent)")
	assert.Equal(t, 1, hybrid, "hybrid torrents")
	assert.Equal(t, 1, v2only, "v2-only torrents")
}

// requireV2Refused checks the error for v2-only metadata while Braid does
// not read v2, and that there is none once it does.
func requireV2Refused(t *testing.T, err error) {
	t.Helper()
	if v2Supported {
		require.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "v2")
}

// checkToolFiles compares the torrent's files with the content directory
// and checks the BEP 47 padding a hybrid torrent carries.
func checkToolFiles(t *testing.T, tor testfixtures.Torrent, info *Info) {
	t.Helper()
	content, err := tor.ContentFiles()
	require.NoError(t, err)
	var want, got []testfixtures.ContentFile
	var contentLen int64
	for _, c := range content {
		want = append(want, c)
		contentLen += c.Length
	}
	var offset int64
	pads := 0
	for i, f := range info.Files {
		assert.Equal(t, offset, f.Offset, "file %d starts where the previous one ends", i)
		offset += f.Length
		if !f.Padding {
			got = append(got, testfixtures.ContentFile{Path: strings.Join(f.Path, "/"), Length: f.Length})
			continue
		}
		pads++
		// libtorrent names its padding files .pad/<length>, and each one
		// ends on a piece boundary so the next file starts a piece.
		assert.Equal(t, []string{".pad", strconv.FormatInt(f.Length, 10)}, f.Path)
		assert.Zero(t, (f.Offset+f.Length)%info.PieceLength, "padding file %d aligns the next file", i)
	}
	assert.Equal(t, offset, info.Length)
	assert.Equal(t, contentLen, info.FilesLength(), "what a user stores excludes padding")
	slices.SortFunc(got, func(a, b testfixtures.ContentFile) int { return strings.Compare(a.Path, b.Path) })
	assert.Equal(t, want, got, "the torrent lists exactly the content's files and lengths")
	if tor.V2() {
		assert.Positive(t, pads, "a v2 or hybrid torrent aligns files with padding")
		for i, f := range info.Files[:len(info.Files)-1] {
			if !f.Padding {
				assert.True(t, info.Files[i+1].Padding || (f.Offset+f.Length)%info.PieceLength == 0,
					"file %v ends on a piece boundary or is padded", f.Path)
			}
		}
	} else {
		assert.Zero(t, pads, "no padding files")
		assert.Equal(t, info.Length, info.FilesLength())
	}
}

// verifyPieces lays the content out as the torrent describes it (padding
// files are zeros) and checks every piece's SHA-1 against the pieces field.
func verifyPieces(t *testing.T, info *Info, contentDir string) {
	t.Helper()
	var stream []byte
	for _, f := range info.Files {
		if f.Padding {
			stream = append(stream, make([]byte, f.Length)...)
			continue
		}
		b, err := os.ReadFile(filepath.Join(contentDir, filepath.Join(f.Path...)))
		require.NoError(t, err)
		require.Len(t, b, int(f.Length), "%v", f.Path)
		stream = append(stream, b...)
	}
	require.Len(t, stream, int(info.Length))
	require.Len(t, info.Pieces, int((info.Length+info.PieceLength-1)/info.PieceLength))
	for p := range info.NumPieces() {
		off := info.PieceOffset(p)
		assert.Equal(t, info.Pieces[p], sha1.Sum(stream[off:off+info.PieceSize(p)]), "piece %d", p)
	}
}

// TestToolMagnets parses every link of testdata/magnets.txt: each names the
// info hash(es) its torrent's tool reported, v1 (btih) and v2 (btmh).
func TestToolMagnets(t *testing.T) {
	magnets, err := testfixtures.Magnets()
	require.NoError(t, err)
	// What the hand-made links add beyond a tool's dn and tr, by description.
	extras := map[string]func(t *testing.T, m *Magnet){
		"by make-testdata.sh: upper-case hex btih, dn, two tr, ws, so, IPv4 and IPv6 x.pe": func(t *testing.T, m *Magnet) {
			assert.Equal(t, toolFixtureName, m.Name)
			assert.Equal(t, []string{toolFixtureTracker, "udp://127.0.0.1:6969"}, m.Trackers)
			assert.Equal(t, []string{"http://127.0.0.1:8080/"}, m.WebSeeds)
			assert.Equal(t, []int{0, 2, 3}, m.SelectOnly)
			assert.Equal(t, []string{"127.0.0.1:6881", "[::1]:6882"}, m.Peers)
		},
		"by make-testdata.sh: base32 btih, dn with %20, tr.1": func(t *testing.T, m *Magnet) {
			assert.Equal(t, "braid tools", m.Name)
			assert.Equal(t, []string{toolFixtureTracker}, m.Trackers)
			assert.Nil(t, m.SelectOnly)
		},
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	for i, link := range magnets {
		t.Run(strconv.Itoa(i)+"-"+link.Torrent, func(t *testing.T) {
			tor, err := testfixtures.TorrentNamed(link.Torrent)
			require.NoError(t, err)
			m, err := ParseMagnet(link.URI)
			if !tor.V1() {
				kinds["v2"]++
				require.Contains(t, link.URI, "xt=urn:btmh:1220"+tor.InfoHashV2)
				requireV2Refused(t, err)
				if !v2Supported {
					require.ErrorIs(t, err, ErrMalformedMagnet)
					return
				}
				assert.Zero(t, m.InfoHash, "a btmh-only link names no v1 hash")
				assert.False(t, m.HasV1())
			} else {
				require.NoError(t, err, link.How)
				assert.Equal(t, tor.InfoHash, hexHash(m.InfoHash), "info hash %s reported", tor.HashReportedBy)
			}
			if tor.V2() {
				if tor.V1() {
					kinds["hybrid"]++
					require.Contains(t, link.URI, "xt=urn:btmh:1220"+tor.InfoHashV2, "hybrid links name both hashes")
				}
				assert.True(t, m.HasV2())
				assert.Equal(t, tor.InfoHashV2, hex.EncodeToString(m.InfoHashV2[:]), "v2 info hash %s reported", tor.HashReportedBy)
			} else {
				assert.Zero(t, m.InfoHashV2)
			}
			if strings.Contains(link.URI, "urn:btih:"+strings.ToUpper(tor.InfoHash)) || !strings.Contains(link.URI, tor.InfoHash) {
				kinds["not lower-case hex"]++
			}
			if extra, ok := extras[link.How]; ok {
				seen[link.How] = true
				extra(t, m)
				return
			}
			assert.Equal(t, toolFixtureName, m.Name)
			assert.Equal(t, []string{toolFixtureTracker}, m.Trackers)
			assert.Empty(t, m.Peers)
		})
	}
	for how := range extras {
		assert.True(t, seen[how], "no link %q in magnets.txt", how)
	}
	assert.Equal(t, 1, kinds["v2"], "one btmh-only link")
	assert.Equal(t, 1, kinds["hybrid"], "one btih+btmh link")
	assert.Equal(t, 2, kinds["not lower-case hex"], "upper-case hex and base32 links")
}

// checkToolV2 checks a v2 or hybrid torrent's v2 view against the tool's
// report and the content: the v2 info hash, the file tree's files, each
// pieces root recomputed from the file's blocks, and the piece layers.
func checkToolV2(t *testing.T, tor testfixtures.Torrent, m *MetaInfo) {
	t.Helper()
	info := m.Info
	assert.True(t, info.HasV2())
	assert.Equal(t, MetaVersion2, info.MetaVersion)
	assert.Equal(t, tor.InfoHashV2, hex.EncodeToString(m.InfoHashV2[:]), "v2 info hash %s reported", tor.HashReportedBy)
	assert.Equal(t, sha256.Sum256(m.InfoBytes), m.InfoHashV2)
	short := m.ShortInfoHashV2()
	assert.Equal(t, m.InfoHashV2[:20], short[:])

	content, err := tor.ContentFiles()
	require.NoError(t, err)
	var got []testfixtures.ContentFile
	for _, f := range info.FilesV2 {
		got = append(got, testfixtures.ContentFile{Path: strings.Join(f.Path, "/"), Length: f.Length})
	}
	slices.SortFunc(got, func(a, b testfixtures.ContentFile) int { return strings.Compare(a.Path, b.Path) })
	assert.Equal(t, content, got, "the file tree lists exactly the content's files")

	// The v1-style view holds the same files at the same offsets.
	var real []File
	for _, f := range info.Files {
		if !f.Padding {
			real = append(real, f)
		}
	}
	require.Len(t, real, len(info.FilesV2))
	layers := 0
	for i, f := range info.FilesV2 {
		assert.Equal(t, real[i].Path, f.Path)
		assert.Equal(t, real[i].Offset, f.Offset)
		data, err := os.ReadFile(filepath.Join(tor.Content, filepath.Join(f.Path...)))
		require.NoError(t, err)
		require.Len(t, data, int(f.Length))
		if f.Length == 0 {
			assert.Zero(t, f.PiecesRoot)
			continue
		}
		assert.Zero(t, f.Offset%info.PieceLength, "%v starts a piece", f.Path)
		var blocks []merkle.Hash
		for off := 0; off < len(data); off += merkle.BlockSize {
			blocks = append(blocks, merkle.BlockHash(data[off:min(off+merkle.BlockSize, len(data))]))
		}
		root, err := merkle.FileRoot(blocks)
		require.NoError(t, err)
		assert.Equal(t, root, f.PiecesRoot, "pieces root of %v as %s wrote it", f.Path, tor.MadeBy)
		want, err := merkle.PieceLayer(blocks, info.PieceLength)
		require.NoError(t, err)
		if f.Length <= info.PieceLength {
			assert.Nil(t, want)
			assert.NotContains(t, m.PieceLayers, f.PiecesRoot)
			continue
		}
		layers++
		assert.Equal(t, want, m.PieceLayers[f.PiecesRoot], "piece layer of %v", f.Path)
	}
	assert.Positive(t, layers, "some file spans pieces, so piece layers are tested")
	assert.Len(t, m.PieceLayers, layers)

	// Rewriting keeps the v2 hash and the piece layers.
	out, err := m.Marshal()
	require.NoError(t, err)
	again, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, m.InfoHashV2, again.InfoHashV2)
	assert.Equal(t, m.PieceLayers, again.PieceLayers)
}
