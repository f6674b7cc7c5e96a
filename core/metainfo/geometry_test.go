package metainfo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// layout builds an Info the way ParseInfo does, from file lengths.
func layout(pieceLength int64, lengths ...int64) *Info {
	i := &Info{PieceLength: pieceLength, MultiFile: true}
	for k, n := range lengths {
		i.Files = append(i.Files, File{Path: []string{string(rune('a' + k))}, Length: n, Offset: i.Length})
		i.Length += n
	}
	return i
}

func TestPieceGeometry(t *testing.T) {
	tests := []struct {
		name      string
		info      *Info
		numPieces int
		lastSize  int64
	}{
		{"exact multiple", layout(16384, 32768), 2, 16384},
		{"short last piece", layout(16384, 40000), 3, 40000 - 2*16384},
		{"one byte", layout(16384, 1), 1, 1},
		{"piece larger than data", layout(1<<20, 5000, 0, 7), 1, 5007},
		{"one byte over", layout(16384, 16384, 1), 2, 1},
		{"no data", layout(16384, 0), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := tc.info
			require.Equal(t, tc.numPieces, i.NumPieces())
			var sum int64
			for p := range i.NumPieces() {
				assert.Equal(t, sum, i.PieceOffset(p), "piece %d offset", p)
				sum += i.PieceSize(p)
			}
			assert.Equal(t, i.Length, sum, "piece sizes add up to the length")
			if tc.numPieces > 0 {
				assert.Equal(t, tc.lastSize, i.PieceSize(tc.numPieces-1))
			}
			assert.Zero(t, i.PieceSize(-1))
			assert.Zero(t, i.PieceSize(tc.numPieces))
		})
	}
}

func TestFilePieces(t *testing.T) {
	// Pieces of 16 KiB: [0,16384) [16384,32768) [32768,49152) [49152,50000)
	i := layout(16384, 0, 16384, 0, 100, 16284, 0, 17232, 0)
	want := [][2]int{
		{0, -1}, // empty file at the start
		{0, 0},  // exactly piece 0
		{1, 0},  // empty file on a piece boundary
		{1, 1},  // starts piece 1
		{1, 1},  // ends exactly at the end of piece 1
		{2, 1},  // empty
		{2, 3},  // spans the short last piece
		{3, 2},  // empty file at the very end
	}
	require.Equal(t, int64(50000), i.Length)
	require.Equal(t, 4, i.NumPieces())
	for f, w := range want {
		first, last := i.FilePieces(f)
		assert.Equal(t, w, [2]int{first, last}, "file %d", f)
	}
	first, last := i.FilePieces(len(i.Files))
	assert.Greater(t, first, last, "out of range")
}

// Infos built by hand without a piece length have no pieces, not a panic.
func TestGeometryWithoutPieceLength(t *testing.T) {
	i := &Info{Length: 100, Files: []File{{Path: []string{"a"}, Length: 100}}}
	assert.Zero(t, i.NumPieces())
	assert.Zero(t, i.PieceSize(0))
	first, last := i.FilePieces(0)
	assert.Greater(t, first, last)
	first, last = i.PieceFiles(0)
	assert.Greater(t, first, last)
}

// FilePieces and PieceFiles agree with a byte-overlap check on many layouts.
func TestPieceFilesMatchesOverlap(t *testing.T) {
	layouts := []*Info{
		layout(16384, 0, 16384, 0, 100, 16284, 0, 17232, 0),
		layout(16384, 1, 1, 1),
		layout(32768, 100000, 0, 40000, 5),
		layout(16384, 0, 0, 16384),
	}
	overlaps := func(i *Info, p, f int) bool {
		ps, pe := i.PieceOffset(p), i.PieceOffset(p)+i.PieceSize(p)
		fs, fe := i.Files[f].Offset, i.Files[f].Offset+i.Files[f].Length
		return fs < fe && fs < pe && ps < fe
	}
	for n, i := range layouts {
		for p := range i.NumPieces() {
			pf, pl := i.PieceFiles(p)
			for f := range i.Files {
				ff, fl := i.FilePieces(f)
				want := overlaps(i, p, f)
				assert.Equal(t, want, ff <= p && p <= fl, "layout %d piece %d file %d (FilePieces)", n, p, f)
				if i.Files[f].Length > 0 {
					assert.Equal(t, want, pf <= f && f <= pl, "layout %d piece %d file %d (PieceFiles)", n, p, f)
				}
			}
		}
		first, last := i.PieceFiles(i.NumPieces())
		assert.Greater(t, first, last)
	}
}

func TestFilesLengthLeavesPaddingOut(t *testing.T) {
	in := &Info{Length: 100, Files: []File{{Length: 30}, {Length: 34, Padding: true}, {Length: 36}}}
	if got := in.FilesLength(); got != 66 {
		t.Fatalf("FilesLength = %d, want 66", got)
	}
	in = &Info{Length: 100, Files: []File{{Length: 100}}}
	if got := in.FilesLength(); got != 100 {
		t.Fatalf("FilesLength = %d, want 100", got)
	}
}
