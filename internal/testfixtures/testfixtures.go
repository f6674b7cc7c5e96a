// Package testfixtures reads the shared test fixtures in the repository's
// top-level testdata/ directory: torrents made by real tools (libtorrent,
// transmission-create, mktorrent, create-torrent) with the content they
// describe, the sidecar .json beside each torrent recording the info hash
// the tool itself reported, magnet links and resume records. See
// testdata/README.md; scripts/make-testdata.sh regenerates them.
//
// Tests only: the paths are those of the source tree this package was
// built from.
package testfixtures

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Dir is the absolute path of the top-level testdata directory.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testfixtures: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Path joins elem to Dir.
func Path(elem ...string) string {
	return filepath.Join(append([]string{Dir()}, elem...)...)
}

// Torrent describes one tool-made torrent, from its sidecar .json.
type Torrent struct {
	Name        string // file name without .torrent, e.g. "libtorrent-hybrid"
	File        string // absolute path of the .torrent
	MadeBy      string `json:"made_by"`      // tool and version
	Content     string `json:"content"`      // content directory, relative to Dir until Torrents makes it absolute
	PieceLength int64  `json:"piece_length"` // what the tool was asked for
	// InfoHash is the hex v1 info hash the tool reported (empty for a
	// v2-only torrent), InfoHashV2 the hex v2 one (empty for v1-only).
	InfoHash       string `json:"info_hash"`
	InfoHashV2     string `json:"info_hash_v2"`
	HashReportedBy string `json:"hash_reported_by"`
	TorrentFile    string `json:"torrent"`
}

// V1 tells whether the torrent has v1 metadata (v1-only or hybrid).
func (t Torrent) V1() bool { return t.InfoHash != "" }

// V2 tells whether the torrent has v2 metadata (v2-only or hybrid).
func (t Torrent) V2() bool { return t.InfoHashV2 != "" }

// Bytes reads the .torrent file.
func (t Torrent) Bytes() ([]byte, error) { return os.ReadFile(t.File) }

// Torrents lists every torrents/*.json sidecar, sorted by name.
func Torrents() ([]Torrent, error) {
	sidecars, err := filepath.Glob(Path("torrents", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(sidecars) == 0 {
		return nil, fmt.Errorf("testfixtures: no torrents/*.json under %s", Dir())
	}
	var out []Torrent
	for _, p := range sidecars {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var t Torrent
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("testfixtures: %s: %w", p, err)
		}
		t.Name = strings.TrimSuffix(filepath.Base(p), ".json")
		if t.TorrentFile != t.Name+".torrent" {
			return nil, fmt.Errorf("testfixtures: %s describes %q", p, t.TorrentFile)
		}
		t.File = filepath.Join(filepath.Dir(p), t.TorrentFile)
		t.Content = Path(filepath.FromSlash(t.Content))
		out = append(out, t)
	}
	return out, nil
}

// TorrentNamed returns the torrent whose file is torrents/<name>.torrent.
func TorrentNamed(name string) (Torrent, error) {
	all, err := Torrents()
	if err != nil {
		return Torrent{}, err
	}
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return Torrent{}, fmt.Errorf("testfixtures: no torrent %q", name)
}

// ContentFile is one file of a torrent's content on disk.
type ContentFile struct {
	Path   string // slash-separated, below the content directory
	Length int64
}

// ContentFiles walks the torrent's content directory, in lexical order.
func (t Torrent) ContentFiles() ([]ContentFile, error) {
	var out []ContentFile
	err := filepath.WalkDir(t.Content, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(t.Content, p)
		if err != nil {
			return err
		}
		out = append(out, ContentFile{Path: filepath.ToSlash(rel), Length: info.Size()})
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("testfixtures: no content under %s", t.Content)
	}
	return out, err
}

// Magnet is one link of magnets.txt and the torrent it names.
type Magnet struct {
	Torrent string // torrent name, as in Torrent.Name
	How     string // which tool made it
	URI     string
}

// Magnets reads magnets.txt: each link follows a comment line
// "# torrents/NAME.torrent: how it was made".
func Magnets() ([]Magnet, error) {
	f, err := os.Open(Path("magnets.txt"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out  []Magnet
		next *Magnet
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "":
		case strings.HasPrefix(s, "# torrents/"):
			name, how, ok := strings.Cut(strings.TrimPrefix(s, "# torrents/"), ".torrent: ")
			if !ok {
				return nil, fmt.Errorf("testfixtures: magnets.txt:%d: want \"# torrents/NAME.torrent: how\"", line)
			}
			next = &Magnet{Torrent: name, How: how}
		case strings.HasPrefix(s, "#"):
		default:
			if next == nil {
				return nil, fmt.Errorf("testfixtures: magnets.txt:%d: link without a \"# torrents/...\" line before it", line)
			}
			next.URI = s
			out = append(out, *next)
			next = nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("testfixtures: magnets.txt holds no links")
	}
	return out, nil
}

// ResumeRecords maps each record format version with a fixture under
// resume/v<N>/ to the path of its record file.
func ResumeRecords() (map[int]string, error) {
	dirs, err := filepath.Glob(Path("resume", "v*"))
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, d := range dirs {
		var v int
		if _, err := fmt.Sscanf(filepath.Base(d), "v%d", &v); err != nil {
			return nil, fmt.Errorf("testfixtures: %s: not resume/v<N>", d)
		}
		files, err := filepath.Glob(filepath.Join(d, "*.resume"))
		if err != nil {
			return nil, err
		}
		if len(files) != 1 {
			return nil, fmt.Errorf("testfixtures: %s holds %d records, want 1", d, len(files))
		}
		out[v] = files[0]
	}
	return out, nil
}

// Versions returns m's keys in ascending order.
func Versions(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
