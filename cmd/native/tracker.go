//go:build !js

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/braid-bt/braid/tracker"
)

func runTracker(args []string, stdout io.Writer) error {
	fs := newFlagSet("tracker")
	httpAddr := fs.String("http", "127.0.0.1:6969", "HTTP tracker address (empty to disable)")
	udpAddr := fs.String("udp", "127.0.0.1:6969", "UDP tracker address (empty to disable)")
	interval := fs.Int("interval", 60, "re-announce interval told to peers, in seconds")
	pos, err := parseArgs(fs, args, stdout, "braid tracker [--http ADDR] [--udp ADDR] [--interval SECONDS]")
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("tracker: unexpected argument %q", pos[0])
	}
	if *interval <= 0 || *interval > 86400 {
		return usagef("tracker: --interval must be between 1 and 86400 seconds")
	}
	if *httpAddr == "" && *udpAddr == "" {
		return usagef("tracker: enable at least one of --http and --udp")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := tracker.ServerConfig{Interval: time.Duration(*interval) * time.Second}
	return tracker.ListenAndServe(ctx, *httpAddr, *udpAddr, cfg, func(httpURL, udpURL string) {
		wsURL := ""
		if strings.HasPrefix(httpURL, "http://") {
			wsURL = "ws://" + strings.TrimPrefix(httpURL, "http://")
		}
		fmt.Fprintf(stdout, "tracker: announce URLs %s %s %s\n", httpURL, udpURL, wsURL)
	})
}
