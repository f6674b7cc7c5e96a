package persist

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// makeTorrent builds a real torrent over deterministic content so tests use
// the same metainfo the engine would.
func makeTorrent(t testing.TB, name string, single bool, pieceLen int64, files ...metainfo.FileSpec) (*metainfo.MetaInfo, []byte) {
	t.Helper()
	var total int64
	for _, f := range files {
		total += f.Length
	}
	content := randomBytes(int(total), uint64(total))
	b, err := metainfo.Create(metainfo.CreateOptions{
		Name: name, Files: files, SingleFile: single, PieceLength: pieceLen,
		Announce: [][]string{{"http://127.0.0.1:1/announce"}},
	}, bytes.NewReader(content))
	require.NoError(t, err)
	mi, err := metainfo.Parse(b)
	require.NoError(t, err)
	return mi, content
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0xb4a1d))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sampleRecord is a fully populated, valid record for mi.
func sampleRecord(mi *metainfo.MetaInfo) *Record {
	n := mi.Info.NumPieces()
	bf := make([]byte, (n+7)/8)
	bf[0] = 0x80 // piece 0
	prios := make([]int, len(mi.Info.Files))
	files := make([]FileState, len(mi.Info.Files))
	for i := range prios {
		prios[i] = i % 3
		files[i] = FileState{Size: mi.Info.Files[i].Length, MTime: 1_700_000_000_123_456_789 + int64(i)}
	}
	return &Record{
		Version:        RecordVersion,
		InfoHash:       mi.InfoHash[:],
		Info:           mi.InfoBytes,
		Name:           mi.Info.Name,
		Trackers:       [][]string{{"http://127.0.0.1:1/announce", "udp://127.0.0.1:2"}, {"http://127.0.0.1:3/a"}},
		URLList:        []string{"http://127.0.0.1:4/seed/"},
		SavePath:       "/data/downloads",
		Bitfield:       bf,
		NumPieces:      n,
		FilePriorities: prios,
		Uploaded:       12345,
		Downloaded:     678910,
		AddedAt:        1_700_000_000,
		CompletedAt:    1_700_000_100,
		Files:          files,
		Paused:         true,
		SuperSeed:      true,
	}
}

func multiSpecs() []metainfo.FileSpec {
	return []metainfo.FileSpec{
		{Path: []string{"a.bin"}, Length: 40000},
		{Path: []string{"empty"}, Length: 0},
		{Path: []string{"sub", "b.bin"}, Length: 17},
		{Path: []string{"sub", "deeper", "c.bin"}, Length: 70000},
	}
}
