package webseed

import (
	"net/http"
	"testing"
)

// BenchmarkFetchPiece4MiB fetches a 4 MiB piece spanning two files from a
// loopback http.FileServer, reusing the buffer as the engine would.
func BenchmarkFetchPiece4MiB(b *testing.B) {
	const pl = 4 << 20
	tt := makeTorrent(b, "bench", false, pl,
		testFile{[]string{"a"}, randomBytes(40, pl/2+12345)},
		testFile{[]string{"b"}, randomBytes(41, 2*pl)},
	)
	c := newClient(b, serve(b, http.FileServer(http.Dir(tt.root))).URL, tt.info, Options{})
	buf := make([]byte, pl)
	b.SetBytes(pl)
	for b.Loop() {
		got, err := c.FetchPiece(b.Context(), 0, buf)
		if err != nil {
			b.Fatal(err)
		}
		buf = got
	}
}
