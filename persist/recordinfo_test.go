package persist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

// A record saved again parses its info dictionary once; other bytes are
// parsed anew, bad bytes are still refused, and the cache stays bounded.
func TestRecordInfoParsedOnce(t *testing.T) {
	mi, _ := makeTorrent(t, "album", false, 32<<10, multiSpecs()...)
	r := sampleRecord(mi)
	_, err := EncodeRecord(r)
	require.NoError(t, err)
	first, err := parseRecordInfo(mi.InfoBytes)
	require.NoError(t, err)
	_, err = EncodeRecord(r)
	require.NoError(t, err)
	again, err := parseRecordInfo(append([]byte(nil), mi.InfoBytes...))
	require.NoError(t, err)
	assert.Same(t, first, again, "the same bytes are not parsed again")

	other, _ := makeTorrent(t, "other", false, 16<<10, multiSpecs()...)
	oi, err := parseRecordInfo(other.InfoBytes)
	require.NoError(t, err)
	assert.NotSame(t, first, oi)
	assert.Equal(t, "other", oi.Name)

	_, err = parseRecordInfo([]byte("d4:name1:xe"))
	require.Error(t, err)
	_, err = parseRecordInfo([]byte("d4:name1:xe"))
	require.Error(t, err, "a failed parse is not remembered as a success")

	for i := range parsedInfoCap + 5 {
		mi, _ := makeTorrent(t, "t"+string(rune('a'+i%26))+string(rune('a'+i/26)), true, 16<<10,
			metainfo.FileSpec{Path: []string{"f"}, Length: 5})
		_, err := parseRecordInfo(mi.InfoBytes)
		require.NoError(t, err)
	}
	parsedInfos.Lock()
	defer parsedInfos.Unlock()
	assert.LessOrEqual(t, len(parsedInfos.m), parsedInfoCap)
}
