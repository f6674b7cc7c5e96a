package persist

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/testfixtures"
)

// v2Record is a valid record of a v2-only torrent (one file of several
// pieces, so it has a piece layer): its 32-byte v2 info hash and the
// piece layers.
func v2Record(t testing.TB) (*Record, *metainfo.MetaInfo) {
	t.Helper()
	tb, err := testfixtures.V2Torrent("v2", 16<<10, false,
		testfixtures.V2File{Path: []string{"a"}, Data: randomBytes(100_000, 1)},
		testfixtures.V2File{Path: []string{"b"}, Data: randomBytes(3000, 2)})
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	r := sampleRecord(mi)
	r.InfoHash = mi.InfoHashV2[:]
	r.PieceLayers = metainfo.AppendPieceLayers(nil, mi.PieceLayers)
	return r, mi
}

// A v2-only record is refused without its piece layers, with layers that
// do not hash to the roots, under a truncated or v1-sized hash; a v1
// record may not carry piece layers or a 32-byte hash.
func TestV2RecordValidation(t *testing.T) {
	r, mi := v2Record(t)
	_, err := EncodeRecord(r)
	require.NoError(t, err)
	for name, mutate := range map[string]func(*Record){
		"no piece layers":  func(r *Record) { r.PieceLayers = nil },
		"lying layers":     func(r *Record) { r.PieceLayers = metainfo.AppendPieceLayers(nil, lie(mi)) },
		"truncated hash":   func(r *Record) { r.InfoHash = r.InfoHash[:20] },
		"wrong v2 hash":    func(r *Record) { r.InfoHash = append([]byte{r.InfoHash[0] ^ 1}, r.InfoHash[1:]...) },
		"not a dictionary": func(r *Record) { r.PieceLayers = []byte("i1e") },
	} {
		c := *r
		mutate(&c)
		_, err := EncodeRecord(&c)
		require.ErrorIs(t, err, ErrCorruptRecord, name)
	}
	v1, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	rec := sampleRecord(v1)
	rec.PieceLayers = r.PieceLayers
	_, err = EncodeRecord(rec)
	require.ErrorIs(t, err, ErrCorruptRecord)
}

// lie is mi's piece layers with one hash changed.
func lie(mi *metainfo.MetaInfo) map[merkle.Hash][]merkle.Hash {
	out := map[merkle.Hash][]merkle.Hash{}
	for root, layer := range mi.PieceLayers {
		l := append([]merkle.Hash(nil), layer...)
		l[0][0] ^= 1
		out[root] = l
	}
	return out
}

// A hybrid's record is named by its v1 hash and may keep its piece
// layers (a hybrid magnet's, once fetched): they must hash to the roots;
// without them it is valid too.
func TestHybridRecordKeepsPieceLayers(t *testing.T) {
	tb, err := testfixtures.V2Torrent("h", 16<<10, true,
		testfixtures.V2File{Path: []string{"a"}, Data: randomBytes(100_000, 3)},
		testfixtures.V2File{Path: []string{"b"}, Data: randomBytes(3000, 4)})
	require.NoError(t, err)
	mi, err := metainfo.Parse(tb)
	require.NoError(t, err)
	require.True(t, mi.Info.HasV1())
	r := sampleRecord(mi)
	r.PieceLayers = metainfo.AppendPieceLayers(nil, mi.PieceLayers)
	b, err := EncodeRecord(r)
	require.NoError(t, err)
	back, err := DecodeRecord(b)
	require.NoError(t, err)
	layers, err := metainfo.ParsePieceLayers(back.PieceLayers, mi.Info)
	require.NoError(t, err)
	require.Equal(t, mi.PieceLayers, layers)

	r.PieceLayers = metainfo.AppendPieceLayers(nil, lie(mi))
	_, err = EncodeRecord(r)
	require.ErrorIs(t, err, ErrCorruptRecord, "lying layers")
	r.PieceLayers = nil
	_, err = EncodeRecord(r)
	require.NoError(t, err, "a hybrid record without layers")
}
