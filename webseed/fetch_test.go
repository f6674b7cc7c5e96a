package webseed

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSingleFileFromFileServer(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "movie file.bin", true, pl, testFile{data: randomBytes(1, 5*pl+1234)})
	rec := &recorder{next: http.FileServer(http.Dir(tt.root))}
	srv := serve(t, rec)

	for _, base := range []string{
		srv.URL + "/",                   // ends in '/': the name is appended
		srv.URL + "/movie%20file.bin",   // names the file itself
		srv.URL + "/movie%20file.bin#x", // fragments are never sent
	} {
		t.Run(base, func(t *testing.T) {
			c := newClient(t, base, tt.info, Options{})
			assert.Equal(t, base, c.URL())
			requireAllPieces(t, c, tt)
			assert.True(t, c.Usable(c.now()))
		})
	}
	for _, r := range rec.requests() {
		assert.True(t, strings.HasPrefix(r, "/movie file.bin bytes="), r)
	}
}

func TestMultiFileEscapedNamesFromFileServer(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "my torrent #1", false, pl,
		testFile{[]string{"a b.txt"}, randomBytes(2, 20000)},
		testFile{[]string{"100% #hash?q=1"}, randomBytes(3, 7000)},
		testFile{[]string{"empty"}, nil},
		testFile{[]string{"ünïcödé", "日本語 ファイル"}, randomBytes(4, 3000)},
		testFile{[]string{"ünïcödé", "+plus&amp;=;"}, randomBytes(5, 50000)},
		testFile{[]string{"last"}, randomBytes(6, 1)},
	)
	srv := serve(t, http.StripPrefix("/seeds", http.FileServer(http.Dir(tt.root))))
	for _, base := range []string{srv.URL + "/seeds", srv.URL + "/seeds/"} {
		t.Run(base, func(t *testing.T) {
			requireAllPieces(t, newClient(t, base, tt.info, Options{}), tt)
		})
	}
}

// A piece covering the end of one file, a zero-length file, a whole small
// file and the start of another takes one Range request per non-empty
// segment.
func TestPieceSpanningThreeFiles(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "span", false, pl,
		testFile{[]string{"one"}, randomBytes(7, pl+10000)},
		testFile{[]string{"zero"}, nil},
		testFile{[]string{"two"}, randomBytes(8, 3000)},
		testFile{[]string{"three"}, randomBytes(9, 2*pl)},
	)
	first, last := tt.info.PieceFiles(1)
	require.Equal(t, [2]int{0, 3}, [2]int{first, last}, "fixture: piece 1 spans files 0..3")

	rec := &recorder{next: http.FileServer(http.Dir(tt.root))}
	srv := serve(t, rec)
	c := newClient(t, srv.URL, tt.info, Options{})
	got, err := c.FetchPiece(t.Context(), 1, nil)
	require.NoError(t, err)
	require.Equal(t, tt.piece(1), got)
	assert.Equal(t, []string{
		"/span/one bytes=16384-26383",
		"/span/two bytes=0-2999",
		"/span/three bytes=0-3383",
	}, rec.requests())
}

func TestFetchReusesDst(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(10, 2*pl+5)})
	c := newClient(t, serve(t, http.FileServer(http.Dir(tt.root))).URL+"/", tt.info, Options{})

	big := make([]byte, 3, 2*pl)
	got, err := c.FetchPiece(t.Context(), 0, big)
	require.NoError(t, err)
	assert.Equal(t, tt.piece(0), got)
	assert.Same(t, &big[:1][0], &got[0], "dst with room is reused")

	small := make([]byte, 10)
	got, err = c.FetchPiece(t.Context(), 1, small)
	require.NoError(t, err)
	assert.Equal(t, tt.piece(1), got)
	assert.Equal(t, make([]byte, 10), small, "dst too small is not written")

	got, err = c.FetchPiece(t.Context(), 2, small)
	require.NoError(t, err)
	assert.Equal(t, tt.piece(2), got, "the short last piece fits")
	assert.Same(t, &small[0], &got[0])
}

func TestInvalidPiece(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(11, 100)})
	rec := &recorder{next: http.NotFoundHandler()}
	c := newClient(t, serve(t, rec).URL, tt.info, Options{})
	for _, p := range []int{-1, 1, 1 << 40} {
		_, err := c.FetchPiece(t.Context(), p, nil)
		require.ErrorIs(t, err, ErrInvalidPiece)
	}
	assert.Zero(t, rec.n.Load())
	assert.True(t, c.Usable(c.now()))
}

// Padding files (BEP 47) are zeros the server need not have.
func TestPaddingNotFetched(t *testing.T) {
	const pl = 16 << 10
	data := randomBytes(12, 1000)
	info := &metainfo.Info{
		Name: "padded", PieceLength: pl, Length: pl + 500, MultiFile: true,
		Files: []metainfo.File{
			{Path: []string{"a"}, Length: 1000, Offset: 0},
			{Path: []string{".pad", "15384"}, Length: pl - 1000, Offset: 1000, Padding: true},
			{Path: []string{"b"}, Length: 500, Offset: pl},
		},
	}
	rec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/padded/a" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "a", tZero, strings.NewReader(string(data)))
	})}
	c := newClient(t, serve(t, rec).URL, info, Options{})
	dst := make([]byte, pl)
	for i := range dst {
		dst[i] = 0xff // reused memory must not leak into the padding
	}
	got, err := c.FetchPiece(t.Context(), 0, dst)
	require.NoError(t, err)
	assert.Equal(t, data, got[:1000])
	assert.Equal(t, make([]byte, pl-1000), got[1000:])
	assert.Equal(t, []string{"/padded/a bytes=0-999"}, rec.requests())
}

func TestConcurrentFetches(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "many", false, pl,
		testFile{[]string{"x"}, randomBytes(13, 7*pl+3)},
		testFile{[]string{"y"}, randomBytes(14, 5*pl)},
	)
	c := newClient(t, serve(t, http.FileServer(http.Dir(tt.root))).URL, tt.info, Options{})
	var wg sync.WaitGroup
	errs := make([]error, tt.info.NumPieces())
	for p := range tt.info.NumPieces() {
		wg.Go(func() {
			got, err := c.FetchPiece(context.Background(), p, nil)
			if err == nil && string(got) != string(tt.piece(p)) {
				err = errors.New("wrong bytes")
			}
			errs[p] = err
		})
	}
	wg.Wait()
	for p, err := range errs {
		assert.NoError(t, err, "piece %d", p)
	}
}

func TestNewRefuses(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(15, 100)})
	for _, tc := range []struct {
		url  string
		info *metainfo.Info
		want error
	}{
		{"ftp://host/f", tt.info, ErrUnsupportedScheme},
		{"udp://host/f", tt.info, ErrUnsupportedScheme},
		{"host/f", tt.info, ErrUnsupportedScheme},
		{"", tt.info, ErrUnsupportedScheme},
		{"http://", tt.info, ErrBadURL},
		{"http://host/%zz", tt.info, ErrBadURL},
		{"http://host/", nil, ErrBadInfo},
		{"http://host/", &metainfo.Info{Name: "x", PieceLength: 16 << 10}, ErrBadInfo},
		{"http://host/", &metainfo.Info{Name: "x", PieceLength: 16 << 10, Length: 10,
			Files: []metainfo.File{{Path: []string{"x"}, Length: 5}}}, ErrBadInfo},
		{"http://host/", &metainfo.Info{Name: "x", PieceLength: 16 << 10, Length: 10,
			Files: []metainfo.File{{Path: []string{"x"}, Length: 5}, {Path: []string{"y"}, Length: 5, Offset: 4}}}, ErrBadInfo},
	} {
		_, err := New(tc.url, tc.info, Options{})
		assert.ErrorIs(t, err, tc.want, "%q", tc.url)
	}
	for _, ok := range []string{"http://host", "HTTPS://host:8443/a/b/", " http://[::1]:80/x "} {
		_, err := New(ok, tt.info, Options{})
		assert.NoError(t, err, ok)
	}
}
