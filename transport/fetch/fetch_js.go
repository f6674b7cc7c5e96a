//go:build js

package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/braid-bt/braid/internal/jsbridge"
)

const (
	maxHeaders   = 256 // response header fields kept; the rest are dropped
	maxErrorText = 200 // bytes of a browser error message quoted in errors
)

// Do sends req with fetch and returns the response once its headers have
// arrived; the body streams from the browser as it is read. Reading more
// than limit bytes of it fails with ErrBodyTooLarge (limit < 0: no limit).
// Closing the body, or ending req's context, aborts the request.
//
// Redirects are followed by the browser (it stops after 20). The browser
// also decides some headers itself and ignores ours for them
// (Accept-Encoding, in some browsers User-Agent), and it decodes compressed
// bodies: Response.ContentLength is -1 when Content-Encoding is not identity.
func Do(req *http.Request, limit int64) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead || req.Body != nil && req.Body != http.NoBody {
		return nil, fmt.Errorf("%w (%s with body %t)", ErrMethod, clip(req.Method), req.Body != nil)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ac := js.Global().Get("AbortController").New()
	abort := func() { ac.Call("abort") }
	stop := context.AfterFunc(ctx, abort)

	promise, err := start(req, ac.Get("signal"))
	if err != nil {
		stop()
		return nil, err
	}
	v, err := await(ctx, promise)
	if err != nil {
		stop()
		abort()
		return nil, err
	}
	resp := response(req, v)
	if b := v.Get("body"); b.IsNull() || b.IsUndefined() || req.Method == http.MethodHead {
		stop()
		resp.Body = http.NoBody
	} else {
		resp.Body = &body{ctx: ctx, reader: b.Call("getReader"), limit: limit, stop: stop, abort: abort}
	}
	return resp, nil
}

// start calls fetch. The browser throws synchronously on header names or
// values it refuses; that becomes an error rather than a panic.
func start(req *http.Request, signal js.Value) (p js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%w: %s", ErrFetch, clip(je.Error()))
		}
	}()
	h := js.Global().Get("Headers").New()
	for k, vs := range req.Header {
		for _, v := range vs {
			h.Call("append", k, v)
		}
	}
	opt := js.Global().Get("Object").New()
	opt.Set("method", req.Method)
	opt.Set("headers", h)
	opt.Set("signal", signal)
	opt.Set("redirect", "follow")
	opt.Set("cache", "no-store") // announces and ranges must reach the server
	return js.Global().Call("fetch", req.URL.String(), opt), nil
}

// response copies status and headers of a fetch Response.
func response(req *http.Request, v js.Value) *http.Response {
	code := v.Get("status").Int()
	text := v.Get("statusText").String()
	if text == "" {
		text = http.StatusText(code)
	}
	resp := &http.Response{
		Status:        strconv.Itoa(code) + " " + text,
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		ContentLength: -1,
		Request:       req,
	}
	it := v.Get("headers").Call("entries")
	for range maxHeaders {
		n := it.Call("next")
		if n.Get("done").Bool() {
			break
		}
		kv := n.Get("value")
		resp.Header.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	ce := resp.Header.Get("Content-Encoding")
	if cl, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil && cl >= 0 &&
		(ce == "" || strings.EqualFold(ce, "identity")) {
		resp.ContentLength = cl
	}
	return resp
}

// await waits for promise p to settle or ctx to end. Ending ctx aborts the
// request, so p does settle (jsbridge.Await needs that).
func await(ctx context.Context, p js.Value) (js.Value, error) {
	v, err := jsbridge.Await(ctx, p)
	switch {
	case err == nil:
		return v, nil
	case ctx.Err() != nil:
		return js.Value{}, ctx.Err() // the abort was ours
	default:
		return js.Value{}, fmt.Errorf("%w: %s", ErrFetch, clip(err.Error()))
	}
}

// clip bounds browser- or server-chosen text quoted in errors.
func clip(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText] + "..."
	}
	return s
}
