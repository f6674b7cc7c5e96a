//go:build !js

package metainfo

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteFuzzSeeds rewrites the committed seed corpora with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	write := func(target, name string, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	for name, data := range fileTreeSeeds() {
		write("FuzzParseFileTree", name, data)
	}
	for name, data := range fuzzSeeds(t) {
		write("FuzzParse", name, data)
		if m, err := Parse(data); err == nil {
			write("FuzzParseInfo", name, m.InfoBytes)
		} else if i := indexInfo(data); i != nil {
			write("FuzzParseInfo", name, i)
		}
	}
}

// indexInfo finds a bad torrent's info dict for the ParseInfo corpus.
func indexInfo(data []byte) []byte {
	entries, err := dictEntries("torrent", data)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if e.key == "info" {
			return e.val
		}
	}
	return nil
}
