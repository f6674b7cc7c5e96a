//go:build !js

package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// daemonWebFiles must exist in the web root the daemon serves: the page
// drives the daemon over its RPC, so the wasm is not needed.
var daemonWebFiles = []string{"index.html", "app.js", "rpc-backend.js", "daemon-ui.js", "style.css"}

// daemonWebRoot picks the directory of the page `braid daemon` serves at
// "/": --web-root when given (it must hold the page), else web/ beside
// the binary or in the current directory when one holds it ("" with a
// warning when none does: the RPC runs without the page).
func daemonWebRoot(root string, logger *slog.Logger) (string, error) {
	tries := []string{root}
	if root == "" {
		tries = tries[:0]
		if exe, err := os.Executable(); err == nil {
			tries = append(tries, filepath.Join(filepath.Dir(exe), "..", "web"))
		}
		tries = append(tries, "web")
	}
	for _, d := range tries {
		missing := ""
		for _, f := range daemonWebFiles {
			if fi, err := os.Stat(filepath.Join(d, f)); err != nil || !fi.Mode().IsRegular() {
				missing = f
				break
			}
		}
		if missing == "" {
			return filepath.Abs(d)
		}
		if root != "" {
			return "", usagef("daemon: --web-root %s: %s is missing", root, missing)
		}
	}
	logger.Warn("no web page found: serving the RPC only (use --web-root DIR)", "looked in", fmt.Sprint(tries))
	return "", nil
}
