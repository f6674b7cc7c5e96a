package metainfo

import (
	"github.com/braid-bt/braid/core/benc"
	"github.com/braid-bt/braid/core/merkle"
)

// ParsePieceLayers reads a bencoded "piece layers" dictionary (as a
// .torrent or a resume record holds it) for a v2 info dict and checks it
// as Parse does: a layer for every file longer than a piece, one hash per
// piece, each hashing up to its file's pieces root.
func ParsePieceLayers(raw []byte, info *Info) (map[merkle.Hash][]merkle.Hash, error) {
	return parsePieceLayers(raw, info)
}

// AppendPieceLayers appends layers bencoded as a "piece layers"
// dictionary (keys in order), what ParsePieceLayers reads.
func AppendPieceLayers(dst []byte, layers map[merkle.Hash][]merkle.Hash) []byte {
	var d dict
	for root, layer := range layers {
		b := make([]byte, 0, len(layer)*merkle.HashSize)
		for _, h := range layer {
			b = append(b, h[:]...)
		}
		d.add(string(root[:]), benc.AppendString(nil, string(b)))
	}
	return d.append(dst)
}
