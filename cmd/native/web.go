//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/braid-bt/braid/internal/webfile"
)

// webFiles must all exist in the web root: the page and the built wasm.
var webFiles = []string{"index.html", "app.js", "style.css", "braid.js", "worker.js", "rtc-worker.js", "rtc-page.js", "sw.js", "braid.wasm", "wasm_exec.js"}

func runWeb(args []string, stdout io.Writer) error {
	fs := newFlagSet("web")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve the browser client on")
	root := fs.String("root", "", "directory with the page and braid.wasm (default: web/ beside the binary or in the current directory)")
	var trackers listFlag
	fs.Var(&trackers, "tracker", "WebSocket tracker the page joins for every torrent (repeatable)")
	pos, err := parseArgs(fs, args, stdout, "braid web [--listen ADDR] [--root DIR] [--tracker ws://HOST:PORT/announce]")
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("web: unexpected argument %q", pos[0])
	}
	for _, t := range trackers {
		if l := strings.ToLower(t); !strings.HasPrefix(l, "ws://") && !strings.HasPrefix(l, "wss://") {
			return usagef("web: --tracker %q: want a ws:// or wss:// URL", t)
		}
	}
	dir, err := findWebRoot(*root)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	srv := &http.Server{Handler: webHandler(dir, webConfig{Trackers: trackers}, nil), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "web http://%s/\n", ln.Addr())
	if note := plainHTTPNote(ln.Addr()); note != "" {
		fmt.Fprintln(stdout, note)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

// findWebRoot picks the directory holding the page and the built wasm.
func findWebRoot(root string) (string, error) {
	var tries []string
	if root != "" {
		tries = []string{root}
	} else {
		if exe, err := os.Executable(); err == nil {
			tries = append(tries, filepath.Join(filepath.Dir(exe), "..", "web"))
		}
		tries = append(tries, "web")
	}
	for _, d := range tries {
		if _, err := os.Stat(filepath.Join(d, "index.html")); err != nil {
			continue
		}
		for _, f := range webFiles {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				return "", fmt.Errorf("web: %s is missing in %s (run 'make web' to build the browser client)", f, d)
			}
		}
		return d, nil
	}
	return "", fmt.Errorf("web: no page found in %s (use --root DIR)", strings.Join(tries, " or "))
}

// webConfig is what the page reads from /config.json: trackers to join, and
// torrents to add on load (the demo's), each a served .torrent path and
// ws:// peers to dial.
type webConfig struct {
	Trackers []string `json:"trackers"`
	Add      []webAdd `json:"add,omitempty"`
}

type webAdd struct {
	Torrent string   `json:"torrent"`
	Peers   []string `json:"peers,omitempty"`
}

// webHandler serves the page, /config.json, and extra in-memory files.
// The page's files carry an ETag of their content and `no-cache`: each
// load revalidates (a 304 while unchanged, so Chromium keeps the code it
// compiled and cached for braid.wasm), and a rebuilt file is never stale.
func webHandler(dir string, cfg webConfig, extra map[string][]byte) http.Handler {
	if cfg.Trackers == nil {
		cfg.Trackers = []string{}
	}
	cfgJSON, _ := json.Marshal(cfg)
	tags := new(webfile.ETags)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if b, ok := extra[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/x-bittorrent")
			_, _ = w.Write(b)
			return
		}
		switch {
		case r.URL.Path == "/config.json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(cfgJSON)
			return
		case strings.Contains(r.URL.Path[1:], "/") || strings.HasPrefix(r.URL.Path, "/."):
			// The page is the files at the top of the web root; the test
			// harness beside them and dot files are not served.
			http.NotFound(w, r)
			return
		case strings.HasSuffix(r.URL.Path, ".wasm"):
			w.Header().Set("Content-Type", "application/wasm")
		}
		serveTopFile(w, r, tags, dir, strings.TrimPrefix(r.URL.Path, "/"))
	})
}

// serveTopFile serves the file name at the top of dir ("" is index.html),
// opened through an os.Root so that no name or link reaches outside it.
func serveTopFile(w http.ResponseWriter, r *http.Request, tags *webfile.ETags, dir, name string) {
	if name == "" {
		name = "index.html"
	}
	tags.ServeFrom(w, r, dir, name)
}

// plainHTTPNote is what `braid web` says when it listens beyond loopback:
// browsers on other machines get plain http, which is not a secure
// context (the page says the same).
func plainHTTPNote(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return ""
	}
	return "web: other machines open this page over plain http, not a secure context: it downloads, seeds and saves, " +
		"but without streaming preview, and Save holds each file in memory (https or http://localhost has both)"
}
