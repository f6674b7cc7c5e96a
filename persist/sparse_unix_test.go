//go:build unix

package persist

import (
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// diskUsage is the space a file really occupies.
func diskUsage(t *testing.T, fi fs.FileInfo) int64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	require.True(t, ok)
	return int64(st.Blocks) * 512
}
