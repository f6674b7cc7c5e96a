package testfixtures

import (
	"crypto/sha1"
	"fmt"
	"strconv"

	"github.com/anacrolix/torrent/bencode"

	"github.com/braid-bt/braid/core/merkle"
)

// V2File is one file of a torrent V2Torrent builds.
type V2File struct {
	Path []string // components below the torrent's name
	Data []byte
}

// V2Torrent builds a BitTorrent v2 .torrent (BEP 52) over files, with its
// file tree, pieces roots and piece layers, as libtorrent 2.0 lays them
// out: v2-only, or with hybrid set a hybrid whose v1 half pads every
// file to a piece boundary with BEP 47 padding files. One file whose path
// is the name alone makes a single-file torrent. For tests of the engine
// with content and piece sizes the fixtures on disk do not have.
func V2Torrent(name string, pieceLength int64, hybrid bool, files ...V2File) ([]byte, error) {
	tree := map[string]any{}
	layers := map[string]any{}
	var v1Files []map[string]any
	var stream []byte // the v1 byte stream, padding included
	for i, f := range files {
		if len(f.Path) == 0 {
			return nil, fmt.Errorf("file %d has no path", i)
		}
		entry := map[string]any{"length": len(f.Data)}
		if len(f.Data) > 0 {
			var blocks []merkle.Hash
			for off := 0; off < len(f.Data); off += merkle.BlockSize {
				blocks = append(blocks, merkle.BlockHash(f.Data[off:min(off+merkle.BlockSize, len(f.Data))]))
			}
			root, err := merkle.FileRoot(blocks)
			if err != nil {
				return nil, err
			}
			entry["pieces root"] = string(root[:])
			layer, err := merkle.PieceLayer(blocks, pieceLength)
			if err != nil {
				return nil, err
			}
			if layer != nil {
				var b []byte
				for _, h := range layer {
					b = append(b, h[:]...)
				}
				layers[string(root[:])] = string(b)
			}
		}
		dir := tree
		for _, c := range f.Path[:len(f.Path)-1] {
			sub, ok := dir[c].(map[string]any)
			if !ok {
				sub = map[string]any{}
				dir[c] = sub
			}
			dir = sub
		}
		dir[f.Path[len(f.Path)-1]] = map[string]any{"": entry}
		if rem := int64(len(stream)) % pieceLength; hybrid && rem != 0 && len(f.Data) > 0 {
			pad := pieceLength - rem
			v1Files = append(v1Files, map[string]any{"length": pad, "path": []string{".pad", strconv.FormatInt(pad, 10)}, "attr": "p"})
			stream = append(stream, make([]byte, pad)...)
		}
		v1Files = append(v1Files, map[string]any{"length": len(f.Data), "path": f.Path})
		stream = append(stream, f.Data...)
	}
	single := len(files) == 1 && len(files[0].Path) == 1 && files[0].Path[0] == name
	info := map[string]any{
		"name": name, "piece length": pieceLength, "meta version": 2, "file tree": tree,
	}
	if hybrid {
		var pieces []byte
		for off := int64(0); off < int64(len(stream)); off += pieceLength {
			h := sha1.Sum(stream[off:min(off+pieceLength, int64(len(stream)))])
			pieces = append(pieces, h[:]...)
		}
		info["pieces"] = string(pieces)
		if single {
			info["length"] = len(files[0].Data)
		} else {
			info["files"] = v1Files
		}
	}
	return bencode.Marshal(map[string]any{"info": info, "piece layers": layers})
}
