package webseed

import (
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/assert"
)

func TestFileURL(t *testing.T) {
	single := &metainfo.Info{Name: "a b#c%d.iso", PieceLength: 16 << 10, Length: 1,
		Files: []metainfo.File{{Path: []string{"a b#c%d.iso"}, Length: 1}}}
	multi := &metainfo.Info{Name: "My Torrent", PieceLength: 16 << 10, Length: 2, MultiFile: true,
		Files: []metainfo.File{
			{Path: []string{"dir é", "f?#%.txt"}, Length: 1},
			{Path: []string{"x"}, Length: 1, Offset: 1},
		}}
	for _, tc := range []struct {
		base string
		info *metainfo.Info
		file int
		want string
	}{
		{"http://h/", single, 0, "http://h/a%20b%23c%25d.iso"},
		{"http://h/pub/", single, 0, "http://h/pub/a%20b%23c%25d.iso"},
		{"http://h/pub/other.iso", single, 0, "http://h/pub/other.iso"},
		{"http://h/pub/other%20name.iso?tok=1", single, 0, "http://h/pub/other%20name.iso?tok=1"},
		{"http://h", multi, 0, "http://h/My%20Torrent/dir%20%C3%A9/f%3F%23%25.txt"},
		{"http://h/", multi, 1, "http://h/My%20Torrent/x"},
		{"https://h:81/a%20b", multi, 1, "https://h:81/a%20b/My%20Torrent/x"},
		{"http://h/s/?k=v&w", multi, 1, "http://h/s/My%20Torrent/x?k=v&w"},
		{"http://h/s#frag", multi, 1, "http://h/s/My%20Torrent/x"},
	} {
		c, err := New(tc.base, tc.info, Options{})
		if assert.NoError(t, err) {
			assert.Equal(t, tc.want, c.fileURL(tc.file), "%s file %d", tc.base, tc.file)
		}
	}
}
