package webseed

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Replies to a request for piece 1 (bytes 16384-32767) of a 40000-byte
// single-file torrent, from servers that get it right and wrong.
func TestResponses(t *testing.T) {
	const pl = 16 << 10
	tt := makeTorrent(t, "f", true, pl, testFile{data: randomBytes(20, 40000)})
	want := tt.piece(1)
	file := tt.data
	const cr = "bytes 16384-32767/40000"

	partial := func(contentRange string, body []byte, declare bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if contentRange != "" {
				w.Header().Set("Content-Range", contentRange)
			}
			if declare {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			}
			w.WriteHeader(http.StatusPartialContent)
			w.(http.Flusher).Flush() // without a declared length: chunked
			_, _ = w.Write(body)
		}
	}
	whole := func(body []byte, declare bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if declare {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			_, _ = w.Write(body)
		}
	}
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
	}
	cat := func(a, b []byte) []byte { return append(append([]byte(nil), a...), b...) }

	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		wantErr error // nil: the piece arrives intact
		disable bool
	}{
		{"206", partial(cr, want, true), nil, false},
		{"206 chunked", partial(cr, want, false), nil, false},
		{"206 unknown total", partial("bytes 16384-32767/*", want, true), nil, false},
		{"206 truncated, declared length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", cr)
			w.Header().Set("Content-Length", strconv.Itoa(len(want)))
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(want[:8000]) // the server then drops the connection
		}, ErrShortBody, true},
		{"206 truncated, chunked", partial(cr, want[:8000], false), ErrShortBody, true},
		{"206 empty", partial(cr, nil, false), ErrShortBody, true},
		{"206 declared too short", partial(cr, want[:100], true), ErrShortBody, true},
		{"206 declared too long", partial(cr, cat(want, []byte("x")), true), ErrLongBody, true},
		{"206 over-long, chunked", partial(cr, cat(want, make([]byte, 1<<20)), false), ErrLongBody, true},
		{"206 wrong start", partial("bytes 0-16383/40000", want, true), ErrBadResponse, false},
		{"206 wrong end", partial("bytes 16384-32768/40000", cat(want, []byte("x")), true), ErrBadResponse, false},
		{"206 wrong total", partial("bytes 16384-32767/50000", want, true), ErrWrongLength, true},
		{"206 no Content-Range", partial("", want, true), ErrBadResponse, false},
		{"206 garbage Content-Range", partial("bytes=16384-32767", want, true), ErrBadResponse, false},
		{"206 multipart", partial("", []byte("--sep\r\n"), false), ErrBadResponse, false},
		{"206 gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			partial(cr, want, true)(w, r)
		}, ErrBadResponse, false},
		{"200 whole small file", whole(file, true), nil, false},
		{"200 whole small file, chunked", whole(file, false), nil, false},
		{"200 short", whole(file[:20000], false), ErrShortBody, true},
		{"200 ends inside the piece", whole(file[:20000], true), ErrShortBody, true},
		{"200 long", whole(cat(file, []byte("x")), false), ErrLongBody, true},
		{"200 declared long", whole(cat(file, []byte("x")), true), ErrLongBody, true},
		{"403", status(http.StatusForbidden), ErrBadStatus, false},
		{"416", status(http.StatusRequestedRangeNotSatisfiable), ErrBadStatus, false},
		{"500", status(http.StatusInternalServerError), ErrBadStatus, false},
		{"302 without Location", status(http.StatusFound), ErrBadStatus, false},
		{"404", status(http.StatusNotFound), ErrNotFound, true},
		{"410", status(http.StatusGone), ErrNotFound, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, serve(t, tc.h).URL, tt.info, Options{})
			got, err := c.FetchPiece(t.Context(), 1, nil)
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, want, got)
				assert.True(t, c.Usable(c.now()))
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			assert.Nil(t, got)
			st := c.Status(c.now())
			assert.Equal(t, err.Error(), "webseed: piece 1: "+st.Reason)
			if tc.disable {
				assert.Equal(t, "disabled", st.State)
			} else {
				assert.Equal(t, "backing off", st.State)
			}
			assert.False(t, c.Usable(c.now()))
			assert.Equal(t, tc.disable, c.Disabled())
			assert.Equal(t, tc.disable, c.Usable(c.now().Add(MaxBackoff)) == false)
		})
	}
}

func TestRedirects(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(22, 20000)})
	files := http.FileServer(http.Dir(tt.root))
	// /hop/N/f redirects to /hop/N-1/f; /hop/0/f is the file.
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}/f", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			r.URL.Path = "/f"
			files.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d/f", n-1), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
	})
	srv := serve(t, mux)

	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/hop/1/f", true},
		{fmt.Sprintf("/hop/%d/f", MaxRedirects), true},
		{fmt.Sprintf("/hop/%d/f", MaxRedirects+1), false},
		{"/loop", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c := newClient(t, srv.URL+tc.path, tt.info, Options{})
			got, err := c.FetchPiece(t.Context(), 1, nil)
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.piece(1), got)
				return
			}
			require.ErrorIs(t, err, ErrTooManyRedirects)
			assert.False(t, c.Usable(c.now()))
		})
	}

	// A caller's own redirect policy still applies.
	refuse := fmt.Errorf("no redirects here")
	c := newClient(t, srv.URL+"/hop/1/f", tt.info, Options{HTTPClient: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return refuse },
	}})
	_, err := c.FetchPiece(t.Context(), 0, nil)
	require.ErrorIs(t, err, refuse)
}

func TestSlowServer(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(23, 20000)})
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		select { // never answers
		case <-r.Context().Done():
		case <-stop:
		}
	})
	mux.HandleFunc("/stalls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-16383/20000")
		w.Header().Set("Content-Length", "16384")
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select { // the rest never comes
		case <-r.Context().Done():
		case <-stop:
		}
	})
	srv := serve(t, mux)
	t.Cleanup(func() { close(stop) }) // runs before srv.Close

	for _, path := range []string{"/silent", "/stalls"} {
		t.Run(path+" caller deadline", func(t *testing.T) {
			c := newClient(t, srv.URL+path, tt.info, Options{})
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := c.FetchPiece(ctx, 0, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.True(t, c.Usable(c.now()), "the caller's deadline is not the server's fault")
		})
		t.Run(path+" Options.Timeout", func(t *testing.T) {
			c := newClient(t, srv.URL+path, tt.info, Options{Timeout: 100 * time.Millisecond})
			_, err := c.FetchPiece(context.Background(), 0, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.False(t, c.Usable(c.now()), "a server slower than Timeout is backed off from")
		})
	}

	t.Run("cancel", func(t *testing.T) {
		c := newClient(t, srv.URL+"/silent", tt.info, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		_, err := c.FetchPiece(ctx, 0, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.True(t, c.Usable(c.now()))
	})
}

func TestUserAgentAndHeaders(t *testing.T) {
	tt := makeTorrent(t, "f", true, 16<<10, testFile{data: randomBytes(24, 100)})
	var ua, enc string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, enc = r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding")
		http.ServeContent(w, r, "f", tZero, strings.NewReader(string(tt.data)))
	}))
	c := newClient(t, srv.URL, tt.info, Options{UserAgent: "Braid/test"})
	_, err := c.FetchPiece(t.Context(), 0, nil)
	require.NoError(t, err)
	assert.Equal(t, "Braid/test", ua)
	assert.Equal(t, "identity", enc)
}
