package metainfo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFileList(t *testing.T) {
	got, err := ParseFileList("4-6,0,2,5")
	require.NoError(t, err)
	require.Equal(t, []int{0, 2, 4, 5, 6}, got)
	for _, bad := range []string{"", "x", "1,,2", "3-1", "-1", "100000"} {
		_, err := ParseFileList(bad)
		require.Error(t, err, "%q", bad)
	}
}
