//go:build !js

package persist

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// vectorInfo spans files of every kind a span can meet: empty files,
// padding, a one-byte file and larger ones.
func vectorInfo() *metainfo.Info {
	return handInfo("v", true,
		file(5000, "a"),
		file(0, "empty"),
		file(1, "one"),
		metainfo.File{Path: []string{".pad", "300"}, Length: 300, Padding: true},
		file(33000, "sub", "b"),
		file(0, "sub", "empty2"),
		file(7000, "c"),
	)
}

// splitRandom cuts p into 0..n buffers of random sizes, empty ones included.
func splitRandom(r *rand.Rand, p []byte) [][]byte {
	var bufs [][]byte
	for len(p) > 0 {
		k := min(len(p), r.IntN(3000))
		bufs = append(bufs, p[:k])
		p = p[k:]
	}
	return bufs
}

// TestVectoredMatchesPlain writes and reads random spans both ways, with
// random cuts into buffers: the bytes on disk and read back are the same as
// WriteAt and ReadAt of the concatenation give.
func TestVectoredMatchesPlain(t *testing.T) {
	info := vectorInfo()
	vs, err := OpenFiles(t.TempDir(), info, FileOptions{MaxOpenFiles: 2})
	require.NoError(t, err)
	defer vs.Close()
	ps, err := OpenFiles(t.TempDir(), info, FileOptions{MaxOpenFiles: 2})
	require.NoError(t, err)
	defer ps.Close()

	r := rand.New(rand.NewPCG(1, 2))
	// Every file exists first: a file never written reads as missing.
	want := make([]byte, info.Length)
	_, err = vs.WriteAt(want, 0)
	require.NoError(t, err)
	_, err = ps.WriteAt(want, 0)
	require.NoError(t, err)
	for range 300 {
		off := r.Int64N(info.Length)
		n := r.Int64N(info.Length - off + 1)
		data := randomBytes(int(n), r.Uint64())
		for i := range data {
			if isPadding(info, off+int64(i)) {
				data[i] = 0 // padding holds zeros only
			}
		}
		copy(want[off:], data)
		m, err := vs.WriteVAt(splitRandom(r, append([]byte(nil), data...)), off)
		require.NoError(t, err)
		require.EqualValues(t, n, m)
		_, err = ps.WriteAt(data, off)
		require.NoError(t, err)

		off = r.Int64N(info.Length)
		n = r.Int64N(info.Length - off + 1)
		got := make([]byte, n)
		m, err = vs.ReadVAt(splitRandom(r, got), off)
		require.NoError(t, err)
		require.EqualValues(t, n, m)
		plain := make([]byte, n)
		_, err = ps.ReadAt(plain, off)
		require.NoError(t, err)
		require.Equal(t, plain, got)
		require.Equal(t, want[off:off+n], got)
	}
	for _, f := range info.Files {
		if f.Padding || f.Length == 0 {
			continue
		}
		a, err := os.ReadFile(filepath.Join(vs.dir, "v", filepath.Join(f.Path...)))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(ps.dir, "v", filepath.Join(f.Path...)))
		require.NoError(t, err)
		require.Equal(t, b, a, "file %v", f.Path)
	}
}

func isPadding(info *metainfo.Info, off int64) bool {
	for _, f := range info.Files {
		if off >= f.Offset && off < f.Offset+f.Length {
			return f.Padding
		}
	}
	return false
}

// TestVectoredManyBuffers passes more buffers than one call may take.
func TestVectoredManyBuffers(t *testing.T) {
	info := handInfo("m", false, file(5000, "m"))
	s, err := OpenFiles(t.TempDir(), info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	data := randomBytes(3000, 9)
	bufs := make([][]byte, 0, len(data))
	for i := range data {
		bufs = append(bufs, data[i:i+1])
	}
	n, err := s.WriteVAt(bufs, 100)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	got := make([]byte, len(data))
	gb := make([][]byte, 0, len(got))
	for i := range got {
		gb = append(gb, got[i:i+1])
	}
	n, err = s.ReadVAt(gb, 100)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	require.Equal(t, data, got)
}

// TestVectoredRefusesAndReportsShortFiles: a span past the end is refused
// whole and writes nothing; a file shorter than the torrent says reads as
// ReadAt reports it.
func TestVectoredRefusesAndReportsShortFiles(t *testing.T) {
	info := handInfo("s", true, file(100, "a"), file(100, "b"))
	s, err := OpenFiles(t.TempDir(), info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.WriteVAt([][]byte{make([]byte, 150), make([]byte, 51)}, 0)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = os.Stat(filepath.Join(s.dir, "s", "a"))
	require.ErrorIs(t, err, os.ErrNotExist, "a refused span writes nothing")
	_, err = s.ReadVAt([][]byte{make([]byte, 10)}, -1)
	require.ErrorIs(t, err, ErrOutOfRange)

	_, err = s.WriteVAt([][]byte{make([]byte, 200)}, 0)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(filepath.Join(s.dir, "s", "b"), 40))
	_, err = s.ReadVAt([][]byte{make([]byte, 120), make([]byte, 60)}, 10)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = s.ReadAt(make([]byte, 180), 10)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "ReadAt says the same")
}
