// Command profile runs one torrent through the Braid API with a CPU
// profile, to see where a download, a seed or a resume check spends its
// time (the braid CLI has no profiling flag):
//
//	profile -cpuprofile dl.prof -peer 127.0.0.1:6881 -dir out x.torrent   # download, then exit
//	profile -cpuprofile up.prof -seed 30s -listen 127.0.0.1:6882 -dir data x.torrent
//	go tool pprof -top profile dl.prof
//
// DHT is off and it listens on loopback only. It prints one JSON line
// with the phase timings.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/braid-bt/braid"
)

func main() {
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
	peers := flag.String("peer", "", "comma-separated `HOST:PORT` peers to dial")
	dir := flag.String("dir", ".", "data directory")
	listen := flag.String("listen", "127.0.0.1:0", "peer listener (loopback)")
	seed := flag.Duration("seed", 0, "seed for this long after the data is complete (0: exit at once)")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: profile [-cpuprofile FILE] [-peer A,B] [-dir D] [-seed DUR] TORRENT")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *cpuprofile, *peers, *dir, *listen, *seed, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(torrent, cpuprofile, peers, dir, listen string, seed, timeout time.Duration) error {
	state, err := os.MkdirTemp("", "braid-profile-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	c, err := braid.New(braid.Config{DataDir: dir, StateDir: filepath.Clean(state), ListenAddr: listen, NoDHT: true})
	if err != nil {
		return err
	}
	defer c.Close()
	var opts []braid.DownloadOption
	if peers != "" {
		opts = append(opts, braid.WithPeers(strings.Split(peers, ",")...))
	}
	t, err := c.Download(ctx, torrent, opts...)
	if err != nil {
		return err
	}
	res := map[string]any{"listen": c.ListenAddr()}
	for _, phase := range []struct {
		name string
		ch   <-chan struct{}
	}{{"checked_s", t.Checked()}, {"complete_s", t.Completed()}} {
		select {
		case <-phase.ch:
			res[phase.name] = time.Since(start).Seconds()
		case <-t.Stopped():
			return fmt.Errorf("torrent stopped: %w", t.Err())
		case <-ctx.Done():
			return errors.New("timed out")
		}
	}
	if seed > 0 {
		fmt.Fprintf(os.Stderr, "seeding on %s for %s\n", c.ListenAddr(), seed)
		select {
		case <-time.After(seed):
		case <-ctx.Done():
		}
		st, err := c.Stats(t.InfoHash(), "uploaded")
		if err == nil {
			res["uploaded"] = st["uploaded"]
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
