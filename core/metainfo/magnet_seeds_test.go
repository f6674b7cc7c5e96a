//go:build !js

package metainfo

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteMagnetFuzzSeeds rewrites testdata/fuzz/FuzzParseMagnet with
// -update.
func TestWriteMagnetFuzzSeeds(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseMagnet")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, uri := range magnetSeeds() {
		body := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", uri)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
}
