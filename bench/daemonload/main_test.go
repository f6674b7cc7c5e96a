//go:build !js

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
)

// Each kind gets its torrents, the data only where its kind keeps it, and
// the same flags write the same bytes.
func TestWriteKinds(t *testing.T) {
	c := counts{Seed: 3, Local: 2, None: 1}
	a, b := t.TempDir(), t.TempDir()
	n, err := write(a, c, 1000, 40000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := write(b, c, 1000, 40000); err != nil {
		t.Fatal(err)
	}
	var total int64
	for kind, want := range map[string]int{"seed": 3, "local": 2, "none": 1} {
		names, err := os.ReadDir(filepath.Join(a, "torrents", kind))
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != want {
			t.Fatalf("%s: %d torrents, want %d", kind, len(names), want)
		}
		for _, e := range names {
			raw, err := os.ReadFile(filepath.Join(a, "torrents", kind, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			again, _ := os.ReadFile(filepath.Join(b, "torrents", kind, e.Name()))
			if !bytes.Equal(raw, again) {
				t.Errorf("%s: differs between two runs", e.Name())
			}
			mi, err := metainfo.Parse(raw)
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			size := mi.Info.FilesLength()
			if size < 1000 || size > 40000 {
				t.Errorf("%s: %d bytes, want 1000..40000", e.Name(), size)
			}
			total += size
			data := map[string]string{"seed": "data", "local": "seeder"}[kind]
			name := strings.TrimSuffix(e.Name(), ".torrent")
			st, err := os.Stat(filepath.Join(a, data, name))
			switch {
			case data == "" && err == nil:
				t.Errorf("%s: data written for a torrent nobody has", name)
			case data != "" && (err != nil || st.Size() != size):
				t.Errorf("%s: data %v, want %d bytes", name, err, size)
			}
		}
	}
	if total != n {
		t.Errorf("reported %d bytes, the torrents hold %d", n, total)
	}
}
