package braid_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/braid-bt/braid"

// layer ranks Braid's packages as docs/ARCHITECTURE.md draws them: a
// package may import only packages of a lower layer, or its own layer's
// packages under the same top-level folder (core/session imports
// core/picker). Tests, benchmarks and end-to-end tests are left out.
func layer(pkg string) int {
	switch {
	case strings.HasPrefix(pkg, "cmd/"):
		return 8
	case pkg == "rpc":
		return 7
	case pkg == ".":
		return 6
	case pkg == "node":
		return 5
	case pkg == "engine":
		return 4
	case pkg == "tracker/wsproto", pkg == "transport", pkg == "transport/tcp/mse", pkg == "transport/fetch":
		return 2
	case strings.HasPrefix(pkg, "internal/"):
		return 1
	case strings.HasPrefix(pkg, "core"):
		return 0
	}
	return 3 // dht, persist, portmap, tracker, webseed, the transports
}

// TestNoUpwardImports parses every package's non-test files (for every
// platform) and fails on an import that points up the layers.
func TestNoUpwardImports(t *testing.T) {
	seen := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" ||
				path == "test" || path == "bench" || path == "web") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		require.NoError(t, err)
		from := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			to := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
			if to == "" {
				to = "."
			}
			seen++
			top := func(p string) string { return strings.SplitN(p, "/", 2)[0] }
			ok := layer(to) < layer(from) || (layer(to) == layer(from) && top(to) == top(from) && to != from)
			require.True(t, ok, "%s imports %s: layer %d may not import layer %d", path, to, layer(from), layer(to))
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, seen, 50, "the walk found Braid's imports")
}
