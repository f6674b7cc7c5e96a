//go:build js

package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nodeServer starts an HTTP server in Node (js/wasm has no sockets of its
// own) whose routes are written in JS-facing Go. It returns its base URL.
func nodeServer(t *testing.T) string {
	t.Helper()
	if js.Global().Get("require").IsUndefined() {
		t.Skip("needs Node's require")
	}
	hold := js.Global().Get("Array").New() // responses of /hang, ended at cleanup
	handler := js.FuncOf(func(_ js.Value, a []js.Value) any {
		req, res := a[0], a[1]
		switch req.Get("url").String() {
		case "/echo":
			res.Call("setHeader", "X-Reply", "yes")
			res.Call("setHeader", "Content-Length", 4+len(req.Get("headers").Get("x-test").String()))
			res.Call("writeHead", 206)
			res.Call("end", "got "+req.Get("headers").Get("x-test").String())
		case "/redirect":
			res.Call("writeHead", 302, map[string]any{"Location": "/echo"})
			res.Call("end")
		case "/hundred":
			res.Call("writeHead", 200)
			res.Call("write", strings.Repeat("a", 50))
			res.Call("end", strings.Repeat("b", 50))
		case "/hang":
			hold.Call("push", res)
		case "/partial":
			res.Call("writeHead", 200)
			res.Call("write", "start")
			hold.Call("push", res)
		default:
			res.Call("writeHead", 404)
			res.Call("end", "no")
		}
		return nil
	})
	srv := js.Global().Call("require", "http").Call("createServer", handler)
	ready := make(chan struct{})
	listening := js.FuncOf(func(js.Value, []js.Value) any { close(ready); return nil })
	srv.Call("listen", 0, "127.0.0.1", listening)
	<-ready
	listening.Release()
	t.Cleanup(func() {
		closed := make(chan struct{})
		done := js.FuncOf(func(js.Value, []js.Value) any { close(closed); return nil })
		srv.Call("close", done)
		for i := range hold.Length() {
			hold.Index(i).Call("end")
		}
		srv.Call("closeAllConnections")
		<-closed
		done.Release()
		handler.Release()
	})
	return "http://127.0.0.1:" + strconv.Itoa(srv.Call("address").Get("port").Int())
}

func get(t *testing.T, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	return req
}

func TestDo(t *testing.T) {
	base := nodeServer(t)
	ctx := context.Background()

	t.Run("headers both ways", func(t *testing.T) {
		req := get(t, ctx, base+"/echo")
		req.Header.Set("X-Test", "hello")
		resp, err := Do(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "got hello", string(body))
		assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.True(t, strings.HasPrefix(resp.Status, "206 "), resp.Status)
		assert.Equal(t, "yes", resp.Header.Get("X-Reply"))
		assert.EqualValues(t, len("got hello"), resp.ContentLength)
	})

	t.Run("redirect followed", func(t *testing.T) {
		req := get(t, ctx, base+"/redirect")
		req.Header.Set("X-Test", "again")
		resp, err := Do(req, -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "got again", string(body))
	})

	t.Run("error status is a response", func(t *testing.T) {
		resp, err := Do(get(t, ctx, base+"/missing"), -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	for _, tc := range []struct {
		limit   int64
		wantErr bool
	}{{-1, false}, {100, false}, {101, false}, {99, true}, {10, true}, {0, true}} {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			resp, err := Do(get(t, ctx, base+"/hundred"), tc.limit)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrBodyTooLarge)
				assert.Len(t, body, int(tc.limit))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("a", 50)+strings.Repeat("b", 50), string(body))
		})
	}

	t.Run("context ends before headers", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := Do(get(t, ctx, base+"/hang"), -1)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("context ends during body", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		resp, err := Do(get(t, ctx, base+"/partial"), -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		buf := make([]byte, 5)
		_, err = io.ReadFull(resp.Body, buf)
		require.NoError(t, err)
		assert.Equal(t, "start", string(buf))
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err = resp.Body.Read(buf)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("read after close", func(t *testing.T) {
		resp, err := Do(get(t, ctx, base+"/partial"), -1)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.NoError(t, resp.Body.Close())
		_, err = resp.Body.Read(make([]byte, 1))
		require.ErrorIs(t, err, ErrFetch)
	})

	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := Do(get(t, ctx, base+"/echo"), -1)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestDoRefused(t *testing.T) {
	tests := []struct {
		name   string
		req    func() *http.Request
		target error
	}{
		{"connection refused", func() *http.Request { return get(t, context.Background(), "http://127.0.0.1:1/") }, ErrFetch},
		{"post", func() *http.Request {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader("x"))
			require.NoError(t, err)
			return r
		}, ErrMethod},
		{"header value the browser refuses", func() *http.Request {
			r := get(t, context.Background(), "http://127.0.0.1:1/")
			r.Header["X-Bad"] = []string{"a\nb"}
			return r
		}, ErrFetch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Do(tc.req(), -1)
			require.ErrorIs(t, err, tc.target)
			assert.Nil(t, resp)
		})
	}
}

func TestDoDataURL(t *testing.T) {
	resp, err := Do(get(t, context.Background(), "data:text/plain,braid"), 16)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "braid", string(body))
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
}
