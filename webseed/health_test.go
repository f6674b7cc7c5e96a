package webseed

import (
	"crypto/sha1"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackoffAfterServerErrors(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(30, 20000)})
	var broken atomic.Bool
	files := http.FileServer(http.Dir(tt.root))
	rec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		files.ServeHTTP(w, r)
	})}
	clk := newClock()
	c := newClient(t, serve(t, rec).URL+"/", tt.info, Options{Now: clk.Now})

	fail := func(wantDelay time.Duration) {
		t.Helper()
		start := clk.Now()
		require.True(t, c.Usable(start))
		_, err := c.FetchPiece(t.Context(), 0, nil)
		require.ErrorIs(t, err, ErrBadStatus)
		assert.Equal(t, start.Add(wantDelay), c.RetryAt())
		assert.False(t, c.Usable(start))
		assert.False(t, c.Usable(start.Add(wantDelay-time.Millisecond)))
		assert.True(t, c.Usable(start.Add(wantDelay)))

		// While backing off, FetchPiece does not bother the server.
		n := rec.n.Load()
		_, err = c.FetchPiece(t.Context(), 0, nil)
		require.ErrorIs(t, err, ErrBackingOff)
		assert.Equal(t, n, rec.n.Load())
		clk.Add(wantDelay)
	}

	broken.Store(true)
	fail(5 * time.Second)
	fail(10 * time.Second)
	fail(20 * time.Second)
	fail(40 * time.Second)
	fail(MaxBackoff) // the fifth consecutive failure
	fail(MaxBackoff)
	assert.False(t, c.Disabled(), "errors alone never disable")

	broken.Store(false)
	_, err := c.FetchPiece(t.Context(), 0, nil)
	require.NoError(t, err)
	broken.Store(true)
	fail(5 * time.Second) // a success resets the count
}

func TestMaxFailuresOption(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(31, 100)})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	clk := newClock()
	c := newClient(t, srv.URL, tt.info, Options{Now: clk.Now, MaxFailures: 2})
	_, err := c.FetchPiece(t.Context(), 0, nil)
	require.Error(t, err)
	assert.Equal(t, clk.Now().Add(MinBackoff), c.RetryAt())
	clk.Add(MinBackoff)
	_, err = c.FetchPiece(t.Context(), 0, nil)
	require.Error(t, err)
	assert.Equal(t, clk.Now().Add(MaxBackoff), c.RetryAt())
}

func TestNotFoundDisables(t *testing.T) {
	for _, code := range []int{http.StatusNotFound, http.StatusGone} {
		tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(32, 100)})
		rec := &recorder{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
		})}
		clk := newClock()
		c := newClient(t, serve(t, rec).URL, tt.info, Options{Now: clk.Now})
		_, err := c.FetchPiece(t.Context(), 0, nil)
		require.ErrorIs(t, err, ErrNotFound)
		assert.True(t, c.Disabled())
		assert.False(t, c.Usable(clk.Now().Add(24*time.Hour)))

		clk.Add(24 * time.Hour)
		_, err = c.FetchPiece(t.Context(), 0, nil)
		require.ErrorIs(t, err, ErrDisabled)
		assert.ErrorIs(t, err, ErrNotFound, "the reason is kept")
		assert.Equal(t, int32(1), rec.n.Load())
	}
}

// A server with other content: FetchPiece hands the bytes over, the
// engine's hash check fails, and three reports disable the web seed.
func TestBadPiecesDisable(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(33, 4*pl)})
	other := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(34, 4*pl)})
	clk := newClock()
	c := newClient(t, serve(t, http.FileServer(http.Dir(other.root))).URL+"/", tt.info, Options{Now: clk.Now})

	for p := range MaxBadPieces {
		require.True(t, c.Usable(clk.Now()), "piece %d", p)
		got, err := c.FetchPiece(t.Context(), p, nil)
		require.NoError(t, err)
		assert.Equal(t, other.piece(p), got, "the server's bytes, unverified")
		require.NotEqual(t, tt.info.Pieces[p], sha1.Sum(got))
		c.ReportBadPiece(p)
		assert.False(t, c.Usable(clk.Now()))
		if p < MaxBadPieces-1 {
			assert.False(t, c.Disabled())
			assert.Equal(t, clk.Now().Add(MinBackoff), c.RetryAt(), "a success between reports resets the back-off")
			clk.Add(MinBackoff)
		}
	}
	assert.True(t, c.Disabled())
	assert.False(t, c.Usable(clk.Add(24*time.Hour)))
	_, err := c.FetchPiece(t.Context(), 3, nil)
	require.ErrorIs(t, err, ErrDisabled)
}

func TestRetryAfter(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(35, 100)})
	clk := newClock()
	for _, tc := range []struct {
		code       int
		retryAfter string
		want       time.Duration
	}{
		{http.StatusServiceUnavailable, "120", 120 * time.Second},
		{http.StatusServiceUnavailable, clk.Now().Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{http.StatusServiceUnavailable, "999999999999", MaxBackoff},
		{http.StatusServiceUnavailable, clk.Now().Add(48 * time.Hour).Format(http.TimeFormat), MaxBackoff},
		{http.StatusServiceUnavailable, "0", time.Second},
		{http.StatusServiceUnavailable, clk.Now().Add(-time.Hour).Format(http.TimeFormat), time.Second},
		{http.StatusServiceUnavailable, "", MinBackoff},
		{http.StatusServiceUnavailable, "soon", MinBackoff},
		{http.StatusServiceUnavailable, "-5", MinBackoff},
		{http.StatusTooManyRequests, "30", 30 * time.Second},
		{http.StatusInternalServerError, "30", MinBackoff}, // only 503 and 429 carry it
	} {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.WriteHeader(tc.code)
		}))
		c := newClient(t, srv.URL, tt.info, Options{Now: clk.Now})
		_, err := c.FetchPiece(t.Context(), 0, nil)
		require.ErrorIs(t, err, ErrBadStatus)
		assert.Equal(t, clk.Now().Add(tc.want), c.RetryAt(), "%d Retry-After %q", tc.code, tc.retryAfter)
		assert.False(t, c.Disabled())
	}
}
