package interop

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// smallPiece is the piece length of the small content's torrents: every file
// edge then falls inside a piece, so neighbouring files share one.
const smallPiece = 256 * kib

// smallLayout is a four-file folder of about 6 MiB for the magnet, DHT, PEX,
// web seed and select-only tests, where discovery is under test rather than
// throughput. Each file has whole pieces of its own and shares its edge
// pieces with its neighbours.
var smallLayout = []struct {
	rel  string
	size int64
}{
	{"a.bin", mib + 100*kib},
	{"b.bin", 2*mib + 50*kib},
	{"c.bin", mib + 3},
	{"d.bin", mib + 512*kib + 7},
}

var small struct {
	once sync.Once
	c    *content
	err  error
}

// smallContent returns the shared small folder (named contentName, so the
// content helpers apply), generating it on first use.
func smallContent(t *testing.T) *content {
	t.Helper()
	small.once.Do(func() { small.c, small.err = generateSmall(filepath.Join(suite.tmp, "small")) })
	require.NoError(t, small.err, "generate small content")
	return small.c
}

func generateSmall(parent string) (*content, error) {
	c := &content{parent: parent}
	for i, f := range smallLayout {
		path := filepath.Join(parent, contentName, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		out, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		var seed [32]byte
		copy(seed[:], fmt.Sprintf("braid interop small file %d", i))
		h := sha256.New()
		_, err = io.CopyN(io.MultiWriter(out, h), rand.NewChaCha8(seed), f.size)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		cf := contentFile{rel: f.rel, size: f.size}
		copy(cf.sum[:], h.Sum(nil))
		c.files = append(c.files, cf)
		c.total += f.size
	}
	return c, nil
}
