package metainfo

import (
	"bytes"
	_ "embed"
	"encoding/hex"
)

// The fixtures under testdata/ were made by mktorrent 1.1 from the content
// below (see TestMktorrentFixtures, which regenerates them with -update).
// Their info hashes were computed independently by libtorrent 2.0.8.

var (
	//go:embed testdata/mktorrent-multi.torrent
	mktorrentMulti []byte
	//go:embed testdata/mktorrent-single.torrent
	mktorrentSingle []byte
	// A v1+v2 hybrid of the multi-file fixture content, by libtorrent.
	//go:embed testdata/libtorrent-hybrid.torrent
	libtorrentHybrid []byte
)

const libtorrentHybridHash = "f8955234b0d2306bf2838a1b9e50f2303845d21a"

type fixture struct {
	file     string
	data     []byte
	opts     CreateOptions
	args     []string // mktorrent flags, before the target
	target   string   // file or directory mktorrent hashes
	infoHash string   // libtorrent's hex info hash of the fixture
}

// fixtureContent is deterministic filler; seed keeps files distinct.
func fixtureContent(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>9 + seed*17)
	}
	return b
}

func (f *fixture) content() []byte {
	var buf bytes.Buffer
	for i, fs := range f.opts.Files {
		buf.Write(fixtureContent(i, int(fs.Length)))
	}
	return buf.Bytes()
}

func fixtures() []fixture {
	return []fixture{
		{
			file: "testdata/mktorrent-multi.torrent",
			data: mktorrentMulti,
			// mktorrent lists files sorted bytewise by path, empty ones too.
			opts: CreateOptions{
				Name: "braid-fixture",
				Files: []FileSpec{
					{Path: []string{"B.txt"}, Length: 1000},
					{Path: []string{"dir", "b.bin"}, Length: 70000},
					{Path: []string{"dir", "empty"}, Length: 0},
					{Path: []string{"dir", "sub", "c.bin"}, Length: 33000},
					{Path: []string{"z.bin"}, Length: 32768},
				},
				PieceLength: 32768,
				Private:     true,
				Announce:    [][]string{{"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"}, {"http://backup.invalid/announce"}},
			},
			args:     []string{"-l", "15", "-p", "-a", "http://127.0.0.1:6969/announce,udp://127.0.0.1:6969", "-a", "http://backup.invalid/announce"},
			target:   "braid-fixture",
			infoHash: "8fc724a01b92d9542fd34b87372278b81af6fad4",
		},
		{
			file: "testdata/mktorrent-single.torrent",
			data: mktorrentSingle,
			opts: CreateOptions{
				Name:        "single.bin",
				Files:       []FileSpec{{Path: []string{"single.bin"}, Length: 100001}},
				SingleFile:  true,
				PieceLength: 32768,
				Announce:    [][]string{{"http://127.0.0.1:6969/announce"}},
				URLList:     []string{"http://127.0.0.1:8080/single.bin"},
				Comment:     "Braid fixture",
			},
			args:     []string{"-l", "15", "-c", "Braid fixture", "-w", "http://127.0.0.1:8080/single.bin", "-a", "http://127.0.0.1:6969/announce"},
			target:   "single.bin",
			infoHash: "3e7663dcc2400d34f5a21d24a94cb0424f9becde",
		},
	}
}

func hexHash(h [20]byte) string { return hex.EncodeToString(h[:]) }
