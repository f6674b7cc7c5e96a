//go:build !js

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/braid-bt/braid"
)

// reloadOnHangup reads the client's blocklist again (Client.ReloadBlocklist)
// each time the process gets SIGHUP, until stop is called, and reports
// the outcome on stderr (one write per line: progress goes to stdout).
func reloadOnHangup(c *braid.Client, stderr io.Writer) (stop func()) {
	note := func(msg string) { fmt.Fprintf(stderr, "braid: %s\n", msg) }
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				if err := c.ReloadBlocklist(); err != nil {
					note(fmt.Sprintf("blocklist not reloaded (the previous one stays): %s", oneLine(err.Error())))
				} else {
					note(fmt.Sprintf("blocklist reloaded: %d ranges", c.BlocklistLen()))
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// blocklistError reports whether err is a --blocklist that cannot be
// used (missing, unreachable, malformed): a usage error, as a bad flag
// value is.
func blocklistError(err error) bool { return errors.Is(err, braid.ErrBlocklist) }

// proxyError reports whether err is a --proxy Braid cannot use (a bad
// URL, a setting strict mode refuses): a usage error.
func proxyError(err error) bool { return errors.Is(err, braid.ErrProxy) }
