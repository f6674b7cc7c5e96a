package metainfo

import (
	"crypto/sha1"
	"fmt"
	"strconv"
)

// Test torrents are built from these so a case can break any one rule,
// including ones a normal encoder cannot (duplicate or unsorted keys).
type (
	pair struct {
		k string
		v any
	}
	dic []pair // dict in the given key order
	raw string // verbatim bencode
)

func enc(v any) []byte {
	switch v := v.(type) {
	case raw:
		return []byte(v)
	case string:
		return []byte(strconv.Itoa(len(v)) + ":" + v)
	case []byte:
		return []byte(strconv.Itoa(len(v)) + ":" + string(v))
	case int:
		return []byte("i" + strconv.Itoa(v) + "e")
	case int64:
		return []byte("i" + strconv.FormatInt(v, 10) + "e")
	case []any:
		b := []byte{'l'}
		for _, e := range v {
			b = append(b, enc(e)...)
		}
		return append(b, 'e')
	case []string:
		b := []byte{'l'}
		for _, e := range v {
			b = append(b, enc(e)...)
		}
		return append(b, 'e')
	case dic:
		b := []byte{'d'}
		for _, p := range v {
			b = append(b, enc(p.k)...)
			b = append(b, enc(p.v)...)
		}
		return append(b, 'e')
	}
	panic(fmt.Sprintf("enc: %T", v))
}

// set returns a copy of d with key k set to v (appended when absent,
// removed when v is nil).
func (d dic) set(k string, v any) dic {
	out := dic{}
	found := false
	for _, p := range d {
		if p.k == k {
			found = true
			if v != nil {
				out = append(out, pair{k, v})
			}
			continue
		}
		out = append(out, p)
	}
	if !found && v != nil {
		out = append(out, pair{k, v})
	}
	return out
}

// fakePieces returns n distinct hashes.
func fakePieces(n int) []byte {
	b := make([]byte, 0, 20*n)
	for i := range n {
		s := sha1.Sum([]byte(strconv.Itoa(i)))
		b = append(b, s[:]...)
	}
	return b
}

func fileEntry(length int64, path ...string) dic {
	return dic{{"length", length}, {"path", path}}
}

// multiInfo is a valid multi-file info dict: 3 files, 40000 bytes, 3 pieces of 16 KiB.
func multiInfo() dic {
	return dic{
		{"files", []any{
			fileEntry(10000, "a.txt"),
			fileEntry(0, "dir", "empty"),
			fileEntry(30000, "dir", "b.bin"),
		}},
		{"name", "multi"},
		{"piece length", 16384},
		{"pieces", fakePieces(3)},
	}
}

// singleInfo is a valid single-file info dict: 20000 bytes, 2 pieces.
func singleInfo() dic {
	return dic{
		{"length", 20000},
		{"name", "single.bin"},
		{"piece length", 16384},
		{"pieces", fakePieces(2)},
	}
}

func torrent(info any) []byte {
	return enc(dic{{"announce", "http://tracker.invalid/announce"}, {"info", info}})
}
