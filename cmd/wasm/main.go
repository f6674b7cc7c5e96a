//go:build js

// Command wasm is Braid in the browser: the public API of package braid,
// exported to JavaScript as promises. web/braid.js loads it; see
// docs/ARCHITECTURE.md for the browser runtime.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall/js"

	"github.com/braid-bt/braid"
)

func main() {
	a := &api{}
	obj := js.Global().Get("Object").New()
	for name, fn := range a.methods() {
		obj.Set(name, js.FuncOf(fn))
	}
	if ready := js.Global().Get("__braidReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(obj)
	} else {
		js.Global().Set("braid", obj)
	}
	select {} // the API lives as long as the page
}

// api holds the client once start has run.
type api struct {
	client atomic.Pointer[braid.Client]
	// publicTrackers are the WebSocket trackers for torrents created here
	// and downloads that name none (start's publicTrackers).
	publicTrackers atomic.Pointer[[]string]
	// ownTrackers are start's trackers; set before publicTrackers is
	// stored, read only after it is loaded.
	ownTrackers []string
}

// pub is the public tracker list start chose (nil before start).
func (a *api) pub() []string {
	if p := a.publicTrackers.Load(); p != nil {
		return *p
	}
	return nil
}

type method = func(this js.Value, args []js.Value) any

func (a *api) methods() map[string]method {
	return map[string]method{
		"start":               a.promised(a.start),
		"download":            a.promised(a.download),
		"seed":                a.promised(a.seed),
		"stats":               a.promised(a.stats),
		"get":                 a.promised(a.get),
		"list":                a.promised(a.list),
		"saved":               a.promised(a.saved),
		"resume":              a.promised(a.resume),
		"listFiles":           a.promised(a.listFiles),
		"remove":              a.promised(a.remove),
		"stopAndSerialize":    a.promised(a.stopAndSerialize),
		"stopAllAndSerialize": a.promised(a.stopAllAndSerialize),
		"read":                a.promised(a.read),
		"fileBlob":            a.promised(a.fileBlob),
		"defaults":            a.promised(a.defaults),
		"version": func(js.Value, []js.Value) any {
			return js.ValueOf(map[string]any{"version": braid.Version(), "release": braid.Release()})
		},
	}
}

// promised runs fn on its own goroutine (blocking calls must not run on
// the JavaScript event loop's callback) and settles a Promise with it.
func (a *api) promised(fn func(args []js.Value) (any, error)) method {
	return func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		var resolve, reject js.Value
		executor := js.FuncOf(func(_ js.Value, p []js.Value) any {
			resolve, reject = p[0], p[1]
			return nil
		})
		promise := js.Global().Get("Promise").New(executor)
		executor.Release()
		go func() {
			v, err := safeCall(fn, args)
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return promise
	}
}

// safeCall turns a panic (a JavaScript value of the wrong type, say) into
// an error so the page sees a rejected promise, not a dead runtime.
func safeCall(fn func([]js.Value) (any, error), args []js.Value) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errBadArgument, r)
		}
	}()
	return fn(args)
}

var (
	errNotStarted  = errors.New("braid is not started: call start() first")
	errBadArgument = errors.New("bad argument")
)

// jsError makes a JavaScript Error with a stable code.
func jsError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("code", errorCode(err))
	return e
}

func errorCode(err error) string {
	switch {
	case errors.Is(err, braid.ErrTorrentNotFound):
		return "torrent_not_found"
	case errors.Is(err, braid.ErrInvalidTorrent):
		return "invalid_torrent"
	case errors.Is(err, braid.ErrClosed):
		return "closed"
	case errors.Is(err, braid.ErrQuota):
		return "quota_exceeded"
	case errors.Is(err, braid.ErrUnknownField):
		return "unknown_field"
	case errors.Is(err, errNotStarted):
		return "not_started"
	case errors.Is(err, errBadArgument), errors.Is(err, braid.ErrUnknownProtocol):
		return "bad_argument"
	default:
		return "internal"
	}
}

// toJS converts a Go value to plain JavaScript data through JSON, so
// structs keep their json names.
func toJS(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

// c is the started client.
func (a *api) c() (*braid.Client, error) {
	c := a.client.Load()
	if c == nil {
		return nil, errNotStarted
	}
	return c, nil
}

func (a *api) ctx() context.Context { return context.Background() }
