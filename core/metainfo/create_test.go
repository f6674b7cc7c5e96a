package metainfo

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Create must produce the same info dict, byte for byte, as mktorrent
// made for the committed fixtures, so the info hashes match libtorrent's.
func TestCreateMatchesMktorrent(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.file, func(t *testing.T) {
			want, err := Parse(f.data)
			require.NoError(t, err)
			require.Equal(t, f.infoHash, hexHash(want.InfoHash), "libtorrent's hash")

			out, err := Create(f.opts, bytes.NewReader(f.content()))
			require.NoError(t, err)
			got, err := Parse(out)
			require.NoError(t, err)
			assert.Equal(t, string(want.InfoBytes), string(got.InfoBytes))
			assert.Equal(t, f.infoHash, hexHash(got.InfoHash))
			assert.Equal(t, want.Tiers(), got.Tiers())
			assert.Equal(t, want.URLList, got.URLList)
			assert.Equal(t, want.Comment, got.Comment)
			assert.Equal(t, *want.Info, *got.Info)
		})
	}
}

func TestCreateRoundTripMultiFile(t *testing.T) {
	o := CreateOptions{
		Name: "album",
		Files: []FileSpec{
			{Path: []string{"cd1", "01.flac"}, Length: 50000},
			{Path: []string{"cd1", "empty.cue"}, Length: 0},
			{Path: []string{"cover.jpg"}, Length: 16384},
			{Path: []string{"cd2", "01.flac"}, Length: 12345},
		},
		PieceLength:  16384,
		Announce:     [][]string{{"", "http://a.invalid/announce"}, {}, {"udp://b.invalid:1337", "wss://c.invalid"}},
		URLList:      []string{"http://seed.invalid/album/"},
		Private:      true,
		Comment:      "round trip",
		CreatedBy:    "Braid",
		CreationDate: 1700000000,
	}
	content := fixtureContent(9, 50000+16384+12345)
	out, err := Create(o, bytes.NewReader(content))
	require.NoError(t, err)
	m, err := Parse(out)
	require.NoError(t, err)

	i := m.Info
	assert.Equal(t, "album", i.Name)
	assert.True(t, i.MultiFile)
	assert.True(t, i.Private)
	assert.Equal(t, int64(len(content)), i.Length)
	require.Len(t, i.Files, 4)
	for k, fs := range o.Files {
		assert.Equal(t, fs.Path, i.Files[k].Path)
		assert.Equal(t, fs.Length, i.Files[k].Length)
	}
	assert.Equal(t, int64(50000+16384), i.Files[3].Offset)
	require.Equal(t, 5, i.NumPieces())
	for p := range i.NumPieces() {
		start := i.PieceOffset(p)
		assert.Equal(t, sha1.Sum(content[start:start+i.PieceSize(p)]), i.Pieces[p], "piece %d", p)
	}
	assert.Equal(t, "http://a.invalid/announce", m.Announce)
	assert.Equal(t, [][]string{{"http://a.invalid/announce"}, {"udp://b.invalid:1337", "wss://c.invalid"}}, m.Tiers())
	assert.Equal(t, o.URLList, m.URLList)
	assert.Equal(t, "round trip", m.Comment)
	assert.Equal(t, "Braid", m.CreatedBy)
	assert.Equal(t, int64(1700000000), m.CreationDate)

	// Marshal keeps the info dict, so the info hash survives a rewrite.
	again, err := m.Marshal()
	require.NoError(t, err)
	assert.Equal(t, out, again)
}

func TestCreateRoundTripSingleFile(t *testing.T) {
	content := fixtureContent(3, 3*16384+1)
	o := CreateOptions{
		Files:      []FileSpec{{Path: []string{"videos", "clip.mp4"}, Length: int64(len(content))}},
		SingleFile: true,
		Announce:   [][]string{{"http://a.invalid/announce"}},
	}
	// One byte at a time: Create must not rely on full reads.
	out, err := Create(o, iotest.OneByteReader(bytes.NewReader(content)))
	require.NoError(t, err)
	m, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, "clip.mp4", m.Info.Name, "name defaults to the file name")
	assert.False(t, m.Info.MultiFile)
	assert.Equal(t, []File{{Path: []string{"clip.mp4"}, Length: int64(len(content))}}, m.Info.Files)
	assert.Equal(t, DefaultPieceLength(int64(len(content))), m.Info.PieceLength)
	assert.Equal(t, 4, m.Info.NumPieces())
	assert.Equal(t, sha1.Sum(content[3*16384:]), m.Info.Pieces[3])
	assert.Nil(t, m.AnnounceList, "a single tracker is written as announce only")
	assert.Equal(t, [][]string{{"http://a.invalid/announce"}}, m.Tiers())
	assert.NotContains(t, string(m.InfoBytes), "private")
}

func TestCreateErrors(t *testing.T) {
	one := []FileSpec{{Path: []string{"f"}, Length: 100}}
	tests := []struct {
		name    string
		opts    CreateOptions
		content io.Reader
		want    error
	}{
		{"no files", CreateOptions{Name: "x"}, bytes.NewReader(nil), ErrMalformed},
		{"no name", CreateOptions{Files: one}, bytes.NewReader(make([]byte, 100)), ErrUnsafePath},
		{"unsafe name", CreateOptions{Name: "..", Files: one}, bytes.NewReader(make([]byte, 100)), ErrUnsafePath},
		{"unsafe path", CreateOptions{Name: "x", Files: []FileSpec{{Path: []string{"a", "..", "b"}, Length: 1}}}, bytes.NewReader(make([]byte, 1)), ErrUnsafePath},
		{"empty path", CreateOptions{Name: "x", Files: []FileSpec{{Length: 1}}}, bytes.NewReader(make([]byte, 1)), ErrMalformed},
		{"duplicate path", CreateOptions{Name: "x", Files: []FileSpec{{Path: []string{"a"}, Length: 1}, {Path: []string{"a"}, Length: 1}}}, bytes.NewReader(make([]byte, 2)), ErrUnsafePath},
		{"negative length", CreateOptions{Name: "x", Files: []FileSpec{{Path: []string{"a"}, Length: -1}}}, bytes.NewReader(nil), ErrMalformed},
		{"no data", CreateOptions{Name: "x", Files: []FileSpec{{Path: []string{"a"}}}}, bytes.NewReader(nil), ErrMalformed},
		{"two files as single", CreateOptions{Name: "x", SingleFile: true, Files: append(one, one...)}, bytes.NewReader(make([]byte, 200)), ErrMalformed},
		{"bad piece length", CreateOptions{Name: "x", Files: one, PieceLength: 1000}, bytes.NewReader(make([]byte, 100)), ErrMalformed},
		{"short content", CreateOptions{Name: "x", Files: one}, bytes.NewReader(make([]byte, 99)), io.ErrUnexpectedEOF},
		{"empty content", CreateOptions{Name: "x", Files: one}, bytes.NewReader(nil), io.ErrUnexpectedEOF},
		{"long content", CreateOptions{Name: "x", Files: one}, bytes.NewReader(make([]byte, 101)), ErrMalformed},
		{"read error", CreateOptions{Name: "x", Files: one}, iotest.ErrReader(errDisk), errDisk},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Create(tc.opts, tc.content)
			assert.Nil(t, out)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

var errDisk = errors.New("disk on fire")

// Hashing reads the content once, piece by piece, without buffering all of it.
func TestCreateStreams(t *testing.T) {
	const total = 8 << 20
	r := &countingZeros{left: total}
	out, err := Create(CreateOptions{Name: "zeros", SingleFile: true, Files: []FileSpec{{Length: total}}}, r)
	require.NoError(t, err)
	assert.Equal(t, int64(total), r.read)
	assert.LessOrEqual(t, r.maxRead, int(DefaultPieceLength(total)), "reads are at most one piece")
	m, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, int64(total), m.Info.Length)
}

type countingZeros struct {
	left, read int64
	maxRead    int
}

func (c *countingZeros) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), c.left))
	clear(p[:n])
	c.left -= int64(n)
	c.read += int64(n)
	c.maxRead = max(c.maxRead, len(p))
	return n, nil
}

func TestDefaultPieceLength(t *testing.T) {
	tests := []struct {
		total int64
		want  int64
	}{
		{0, 16 << 10},
		{1, 16 << 10},
		{2000 * 16 << 10, 16 << 10},
		{2000*16<<10 + 1, 32 << 10},
		{700 << 20, 512 << 10},
		{1 << 30, 1 << 20},
		{4 << 30, 4 << 20},
		{1 << 40, 16 << 20},
		{1<<63 - 1, 16 << 20},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, DefaultPieceLength(tc.total), "total %d", tc.total)
	}
	for total := int64(1 << 20); total < 30<<30; total = total*3 + 7 {
		pl := DefaultPieceLength(total)
		n := (total + pl - 1) / pl
		assert.Zero(t, pl&(pl-1), "power of two")
		assert.NoError(t, checkPieceLength(pl))
		if pl > 16<<10 && pl < 16<<20 {
			assert.True(t, n > 1000 && n <= 2000, "total %d: %d pieces of %d", total, n, pl)
		}
	}
}
