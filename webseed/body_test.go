package webseed

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ignoreRange serves files like http.FileServer but, like Python's
// http.server, answers every GET with 200 and the whole file.
func ignoreRange(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		files.ServeHTTP(w, r)
	})
}

// A server that ignores Range has each small file fetched once, whatever
// order the pieces are asked in; the other pieces come from memory.
func TestRangeIgnoredSmallFilesFetchedOnce(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "small", false, pl,
		testFile{[]string{"a"}, randomBytes(50, 5*pl+100)},
		testFile{[]string{"b"}, randomBytes(51, 3000)},
		testFile{[]string{"d", "c"}, randomBytes(52, 7*pl)},
	)
	rec := &recorder{next: ignoreRange(tt.root)}
	c := newClient(t, serve(t, rec).URL, tt.info, Options{})
	order := rand.New(rand.NewPCG(1, 2)).Perm(tt.info.NumPieces())
	for _, p := range order {
		got, err := c.FetchPiece(t.Context(), p, nil)
		require.NoError(t, err, "piece %d", p)
		require.Equal(t, tt.piece(p), got, "piece %d", p)
	}
	assert.Equal(t, int32(3), rec.n.Load(), "one request per file: %q", rec.requests())
	st := c.Status(c.now())
	assert.Equal(t, Status{URL: c.URL(), State: "ok", IgnoresRange: true}, st)

	c.Close()
	_, err := c.FetchPiece(t.Context(), 0, nil) // inside a
	require.NoError(t, err)
	assert.Equal(t, int32(4), rec.n.Load(), "Close drops the kept files")
}

// The first piece of a file, asked with a Range from offset 0, arrives in
// a 200 too.
func TestRangeIgnoredAtOffsetZero(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(53, 3*pl)})
	c := newClient(t, serve(t, ignoreRange(tt.root)).URL+"/", tt.info, Options{})
	c.wholeMax = pl // the file is larger: its body is read forward
	got, err := c.FetchPiece(t.Context(), 0, nil)
	require.NoError(t, err)
	assert.Equal(t, tt.piece(0), got)
}

// A large file's body is read forward: pieces in order take one request;
// a piece behind the body's position takes a new one.
func TestRangeIgnoredLargeFileReadForward(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "big", false, pl,
		testFile{[]string{"x"}, randomBytes(54, 10*pl+77)},
		testFile{[]string{"y"}, randomBytes(55, 4*pl)},
	)
	rec := &recorder{next: ignoreRange(tt.root)}
	c := newClient(t, serve(t, rec).URL, tt.info, Options{})
	c.wholeMax = 2 * pl
	fetch := func(p int) {
		t.Helper()
		got, err := c.FetchPiece(t.Context(), p, nil)
		require.NoError(t, err, "piece %d", p)
		require.Equal(t, tt.piece(p), got, "piece %d", p)
	}
	for _, p := range []int{1, 2, 4, 7} { // skipping forward is free
		fetch(p)
	}
	assert.Equal(t, int32(1), rec.n.Load(), "%q", rec.requests())
	fetch(3) // behind: the body is read again from the start
	assert.Equal(t, int32(2), rec.n.Load(), "%q", rec.requests())
	// Piece 10 holds x's last bytes and y's first: x's body ends there,
	// y is read from its start.
	for _, p := range []int{10, 12, 14} {
		fetch(p)
	}
	assert.Equal(t, int32(3), rec.n.Load(), "%q", rec.requests())
	assert.Nil(t, c.open, "y was read to its end and closed")
}

// Next orders wanted pieces so bodies are read forward.
func TestNext(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(56, 10*pl)})
	rec := &recorder{next: ignoreRange(tt.root)}
	c := newClient(t, serve(t, rec).URL+"/", tt.info, Options{})
	c.wholeMax = pl
	assert.Equal(t, 0, c.Next([]int{7, 2, 5}), "oldest first until Range is known to be ignored")
	_, err := c.FetchPiece(t.Context(), 4, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, c.Next([]int{7, 2, 5}), "the nearest piece ahead")
	assert.Equal(t, 2, c.Next([]int{3, 2, 1}), "none ahead: the first in the torrent")
	assert.Equal(t, 0, c.Next(nil))
}

// Kept files never exceed keptMax bytes: the oldest is dropped.
func TestKeptBounded(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "k", false, pl,
		testFile{[]string{"a"}, randomBytes(57, pl)},
		testFile{[]string{"b"}, randomBytes(58, pl)},
		testFile{[]string{"c"}, randomBytes(59, pl)},
	)
	rec := &recorder{next: ignoreRange(tt.root)}
	c := newClient(t, serve(t, rec).URL, tt.info, Options{})
	c.keptMax = 2 * pl
	for _, p := range []int{0, 1, 2, 2, 1, 0} {
		got, err := c.FetchPiece(t.Context(), p, nil)
		require.NoError(t, err)
		require.Equal(t, tt.piece(p), got)
		assert.LessOrEqual(t, c.keptBytes, c.keptMax)
	}
	// a, b, c fetched; c, b kept; a fetched again (dropping b).
	assert.Equal(t, int32(4), rec.n.Load(), "%q", rec.requests())
}

// A server that declares a file's full length but ends the body early is
// disabled, also when the body was left open between pieces.
func TestRangeIgnoredTruncatedBody(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(60, 6*pl)})
	rec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(tt.data)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(tt.data[:3*pl+10])
	})}
	c := newClient(t, serve(t, rec).URL, tt.info, Options{})
	c.wholeMax = pl
	got, err := c.FetchPiece(t.Context(), 1, nil)
	require.NoError(t, err)
	assert.Equal(t, tt.piece(1), got)
	_, err = c.FetchPiece(t.Context(), 3, nil)
	require.ErrorIs(t, err, ErrShortBody)
	assert.True(t, c.Disabled())
	st := c.Status(c.now())
	assert.Equal(t, "disabled", st.State)
	assert.Contains(t, st.Reason, "body ended after 49162 of 98304 bytes")
	assert.Equal(t, int32(2), rec.n.Load(), "the open body broke, a new request was made: %q", rec.requests())
}

// Concurrent fetches from a server that ignores Range all get their bytes,
// whether files are kept or bodies opened and replaced.
func TestRangeIgnoredConcurrent(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "many", false, pl,
		testFile{[]string{"x"}, randomBytes(61, 9*pl+3)},
		testFile{[]string{"y"}, randomBytes(62, 5*pl)},
	)
	for _, wholeMax := range []int64{MaxWholeFile, pl} {
		c := newClient(t, serve(t, ignoreRange(tt.root)).URL, tt.info, Options{})
		c.wholeMax = wholeMax
		var wg sync.WaitGroup
		errs := make([]error, tt.info.NumPieces())
		for p := range tt.info.NumPieces() {
			wg.Go(func() {
				got, err := c.FetchPiece(context.Background(), p, nil)
				if err == nil && !bytes.Equal(got, tt.piece(p)) {
					err = errors.New("wrong bytes")
				}
				errs[p] = err
			})
		}
		wg.Wait()
		for p, err := range errs {
			assert.NoError(t, err, "piece %d, whole files up to %d bytes", p, wholeMax)
		}
		c.Close()
	}
}
