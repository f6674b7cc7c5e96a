//go:build !js

package dht

import (
	"context"
	"log/slog"
	"strings"

	alog "github.com/anacrolix/log"
)

// slogBridge hands the library's log records to the node's slog.Logger. The
// library's levels are loud for an embedded DHT (a failed bootstrap of an
// empty, bootstrap-less table, or one that collides with ours, is an
// "error"), so they are shifted down a step.
type slogBridge struct{ l *slog.Logger }

func (b slogBridge) Handle(r alog.Record) {
	level := slog.LevelDebug
	switch r.Level {
	case alog.Warning:
		level = slog.LevelInfo
	case alog.Error, alog.Critical:
		level = slog.LevelWarn
	}
	msg := r.Msg.String()
	if strings.Contains(msg, "no initial nodes") || strings.Contains(msg, "already bootstrapping") {
		level = slog.LevelDebug
	}
	if !b.l.Enabled(context.Background(), level) {
		return
	}
	b.l.Log(context.Background(), level, "dht: "+msg)
}

// libraryLogger builds the library's logger; debug records are only
// formatted when the slog handler wants them.
func libraryLogger(l *slog.Logger) alog.Logger {
	ll := alog.NewLogger("dht")
	ll.SetHandlers(slogBridge{l})
	if l.Enabled(context.Background(), slog.LevelDebug) {
		return ll.WithFilterLevel(alog.Debug)
	}
	return ll.WithFilterLevel(alog.Warning)
}
