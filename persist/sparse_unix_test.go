//go:build unix

package persist

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileStorageSparse(t *testing.T) {
	dir := t.TempDir()
	const length = 256 << 20
	info := handInfo("big", false, file(length, "big"))
	s, err := OpenFiles(dir, info, FileOptions{})
	require.NoError(t, err)
	defer s.Close()
	block := randomBytes(16<<10, 7)
	_, err = s.WriteAt(block, length/2)
	require.NoError(t, err)
	require.NoError(t, s.Sync())

	fi, err := os.Stat(filepath.Join(dir, "big"))
	require.NoError(t, err)
	assert.Equal(t, int64(length), fi.Size())
	used := diskUsage(t, fi)
	assert.Less(t, used, int64(4<<20), "file must be sparse, %d bytes allocated", used)

	buf := make([]byte, 16<<10)
	_, err = s.ReadAt(buf, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, len(buf)), buf)
	_, err = s.ReadAt(buf, length/2)
	require.NoError(t, err)
	assert.Equal(t, block, buf)
}

// diskUsage is the space a file really occupies.
func diskUsage(t *testing.T, fi fs.FileInfo) int64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	return int64(st.Blocks) * 512
}
