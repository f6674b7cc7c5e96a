package metainfo

import (
	"bytes"
	"strconv"
	"testing"
)

// manyFileTorrent is a multi-file torrent of n one-byte files in 10 dirs.
func manyFileTorrent(n int) []byte {
	entries := make([]any, n)
	for i := range entries {
		entries[i] = raw(enc(fileEntry(1, "dir"+strconv.Itoa(i%10), "file-"+strconv.Itoa(i))))
	}
	return torrent(multiInfo().set("files", entries).set("pieces", fakePieces((n+16383)/16384)))
}

func BenchmarkParse10kFiles(b *testing.B) {
	data := manyFileTorrent(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFixture(b *testing.B) {
	b.SetBytes(int64(len(mktorrentMulti)))
	for b.Loop() {
		if _, err := Parse(mktorrentMulti); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	content := bytes.Repeat([]byte("braid"), 4<<20/5)
	o := CreateOptions{Name: "x", SingleFile: true, Files: []FileSpec{{Length: int64(len(content))}}, PieceLength: 256 << 10}
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := Create(o, bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
	}
}
