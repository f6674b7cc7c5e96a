package engine

import (
	"bytes"
	"crypto/sha1"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// v2Stream builds a v2-only (or hybrid) torrent over files of the given
// sizes and returns it with the torrent's byte stream: the files at their
// offsets, zeros in the padding between them.
func v2Stream(t testing.TB, pieceLen int64, hybrid bool, sizes ...int) (*metainfo.MetaInfo, []byte) {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{byte(len(sizes))})
	var files []testfixtures.V2File
	for i, n := range sizes {
		d := make([]byte, n)
		_, _ = rng.Read(d)
		files = append(files, testfixtures.V2File{Path: []string{string(rune('a' + i))}, Data: d})
	}
	tb, err := testfixtures.V2Torrent("t", pieceLen, hybrid, files...)
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	stream := make([]byte, mi.Info.Length)
	for i, f := range mi.Info.FilesV2 {
		copy(stream[f.Offset:], files[i].Data)
	}
	return mi, stream
}

func pieceOf(info *metainfo.Info, stream []byte, p int) []byte {
	off := info.PieceOffset(p)
	return stream[off : off+info.PieceSize(p)]
}

// Every piece of a v2-only torrent verifies against its piece layer or its
// file's root: several pieces with a short last one (its blocks padded to
// a whole piece), a file of exactly one piece, a file of one short block,
// an empty file (no piece), a file of one and a half pieces. Padding after
// a file's end is not hashed. A flipped byte in any block fails the piece.
func TestPieceWantsV2(t *testing.T) {
	const pl = 64 << 10
	mi, stream := v2Stream(t, pl, false, 5*pl+1000, pl, 0, 3000, pl+pl/2)
	info := mi.Info
	wants, err := pieceWants(info, mi.PieceLayers)
	require.NoError(t, err)
	require.Len(t, wants, info.NumPieces())
	require.Equal(t, 6+1+1+2, info.NumPieces())
	// The table: piece 5 is a's short last piece; 6 is b, one piece whose
	// root is the file's; 7 is d's single block; 8 and 9 are e's.
	assert.Equal(t, int64(1000), wants[5].data)
	assert.False(t, wants[5].whole)
	assert.Equal(t, v2Piece{data: pl, root: info.FilesV2[1].PiecesRoot, whole: true}, wants[6])
	assert.Equal(t, v2Piece{data: 3000, root: info.FilesV2[3].PiecesRoot, whole: true}, wants[7])
	assert.Equal(t, mi.PieceLayers[info.FilesV2[4].PiecesRoot][1], wants[9].root)

	var scratch []merkle.Hash
	for p := range wants {
		want := pieceWant{v2: &wants[p]}
		data := pieceOf(info, stream, p)
		require.True(t, want.matches(data, pl, &scratch), "piece %d", p)
		bad := bytes.Clone(data)
		bad[wants[p].data-1] ^= 1 // the last data byte: the last block of the piece
		require.False(t, want.matches(bad, pl, &scratch), "piece %d with its last block corrupt", p)
		bad = bytes.Clone(data)
		bad[0] ^= 0x80
		require.False(t, want.matches(bad, pl, &scratch), "piece %d with its first block corrupt", p)
		if int64(len(data)) > wants[p].data {
			// Whatever storage reads in padding is not part of the hash.
			junk := bytes.Clone(data)
			junk[len(junk)-1] = 0xaa
			require.True(t, want.matches(junk, pl, &scratch), "piece %d: padding hashed", p)
		}
	}
	// A piece checked against another piece's hash fails.
	w := pieceWant{v2: &wants[1]}
	require.False(t, w.matches(pieceOf(info, stream, 2), pl, &scratch))
}

// A v2-only torrent of one file that is exactly one piece, and one of a
// single block: the file's root is the whole check.
func TestPieceWantsV2SinglePieceTorrents(t *testing.T) {
	for _, size := range []int{32 << 10, merkle.BlockSize, 1, 40_000} {
		mi, stream := v2Stream(t, 32<<10, false, size)
		wants, err := pieceWants(mi.Info, mi.PieceLayers)
		require.NoError(t, err)
		require.Len(t, wants, (size+32<<10-1)/(32<<10))
		var scratch []merkle.Hash
		for p := range wants {
			require.True(t, pieceWant{v2: &wants[p]}.matches(pieceOf(mi.Info, stream, p), 32<<10, &scratch), "size %d piece %d", size, p)
		}
	}
}

// Without the piece layer of a file longer than a piece a v2-only torrent
// cannot verify it: the table is refused, not filled with zeros.
func TestPieceWantsV2MissingLayer(t *testing.T) {
	mi, _ := v2Stream(t, 16<<10, false, 100_000)
	_, err := pieceWants(mi.Info, nil)
	require.ErrorIs(t, err, errNoPieceLayer)
}

// A hybrid torrent's pieces are checked by SHA-1 and by their v2 hash
// both: a piece whose v2 hash is wrong fails though its SHA-1 matches,
// and the other way round. Without a file's piece layer (a hybrid from a
// magnet) that file's pieces are checked by SHA-1 alone; a file of at
// most one piece still by its root. A v1 torrent has no v2 table.
func TestPieceWantsHybridChecksBoth(t *testing.T) {
	const pl = 32 << 10
	mi, stream := v2Stream(t, pl, true, 100_000, 5000)
	wants, err := pieceWants(mi.Info, mi.PieceLayers)
	require.NoError(t, err)
	require.Len(t, wants, mi.Info.NumPieces())
	tor := &Torrent{info: mi.Info, v2: wants}
	var scratch []merkle.Hash
	for p := range mi.Info.NumPieces() {
		data := pieceOf(mi.Info, stream, p)
		w := tor.want(p)
		require.True(t, w.hasSHA1)
		require.NotNil(t, w.v2, "piece %d", p)
		require.True(t, w.matches(data, pl, &scratch), "piece %d", p)
		bad := append([]byte(nil), data...)
		bad[len(bad)/3] ^= 1
		require.False(t, w.matches(bad, pl, &scratch), "piece %d corrupt", p)

		wrongV2 := *w.v2
		wrongV2.root[0] ^= 1
		require.False(t, pieceWant{sha1: w.sha1, hasSHA1: true, v2: &wrongV2}.matches(data, pl, &scratch), "v2 hash wrong")
		require.False(t, pieceWant{sha1: [20]byte{1}, hasSHA1: true, v2: w.v2}.matches(data, pl, &scratch), "SHA-1 wrong")
	}

	wants, err = pieceWants(mi.Info, nil) // from a magnet: no piece layers
	require.NoError(t, err)
	tor = &Torrent{info: mi.Info, v2: wants}
	for p := range mi.Info.NumPieces() {
		w := tor.want(p)
		data := pieceOf(mi.Info, stream, p)
		require.True(t, w.matches(data, pl, &scratch), "piece %d", p)
		f, ok := tor.fileOf(p)
		require.True(t, ok)
		require.Equal(t, f.Length <= pl, w.v2 != nil, "piece %d: v2 check only where the root covers it", p)
	}

	// The layers arrive while the torrent runs: from then on every
	// piece is checked by both hashes.
	tor.adoptLayers(mi.PieceLayers)
	for p := range mi.Info.NumPieces() {
		w := tor.want(p)
		require.NotNil(t, w.v2, "piece %d after the layers came", p)
		require.True(t, w.matches(pieceOf(mi.Info, stream, p), pl, &scratch), "piece %d", p)
	}
	require.Equal(t, mi.PieceLayers, tor.spec.PieceLayers)

	wants, err = pieceWants(&metainfo.Info{PieceLength: pl, Length: 10, Pieces: [][20]byte{{1}}}, nil)
	require.NoError(t, err)
	require.Nil(t, wants)
}

// The hashing pool runs the v2 check as it runs SHA-1: a good piece
// passes, a corrupt one is shown to mismatch (for the session's block
// sums) and fails.
func TestHasherVerifiesV2(t *testing.T) {
	const pl = 32 << 10
	mi, stream := v2Stream(t, pl, false, 3*pl+100)
	wants, err := pieceWants(mi.Info, mi.PieceLayers)
	require.NoError(t, err)
	h := newHasher(2)
	defer h.close()
	run := func(src []byte, p int) (ok, shown bool) {
		done := make(chan struct{})
		h.submit(hashJob{
			src: bytes.NewReader(src), off: mi.Info.PieceOffset(p), length: mi.Info.PieceSize(p),
			pieceLength: pl, want: pieceWant{v2: &wants[p]},
			mismatch: func(_ []byte, bs []merkle.Hash) { shown = len(bs) > 0 }, // with the failed copy's block hashes
			done: func(r bool, err error) {
				assert.NoError(t, err)
				ok = r
				close(done)
			},
		})
		<-done
		return ok, shown
	}
	for p := range wants {
		ok, shown := run(stream, p)
		require.True(t, ok, "piece %d", p)
		require.False(t, shown)
	}
	bad := bytes.Clone(stream)
	bad[pl+merkle.BlockSize+7] ^= 1
	ok, shown := run(bad, 1)
	require.False(t, ok)
	require.True(t, shown)
}

// The cost of checking one 256 KiB piece by SHA-1 (v1, hybrid) and by its
// v2 Merkle node (SHA-256 of 16 blocks, then 15 inner nodes).
func BenchmarkPieceCheck(b *testing.B) {
	const pl = 256 << 10
	mi, stream := v2Stream(b, pl, false, 4*pl)
	wants, err := pieceWants(mi.Info, mi.PieceLayers)
	if err != nil {
		b.Fatal(err)
	}
	data := pieceOf(mi.Info, stream, 1)
	var scratch []merkle.Hash
	for _, bc := range []struct {
		name string
		want pieceWant
	}{{"sha1", pieceWant{sha1: sha1.Sum(data), hasSHA1: true}}, {"v2", pieceWant{v2: &wants[1]}},
		{"hybrid", pieceWant{sha1: sha1.Sum(data), hasSHA1: true, v2: &wants[1]}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(pl)
			for b.Loop() {
				if !bc.want.matches(data, pl, &scratch) {
					b.Fatal("mismatch")
				}
			}
		})
	}
}
