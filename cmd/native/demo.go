//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/tracker"
)

// demoFiles is the generated content: uneven sizes, one in a subfolder.
var demoFiles = []struct {
	path string
	size int64
}{
	{"README.txt", 4 << 10},
	{"video/holiday.mp4", 96 << 20},
	{"photos/beach.jpg", 23<<20 + 12345},
	{"photos/sunset.jpg", 9<<20 + 777},
}

// runDemo runs a self-contained swarm on loopback: a tracker, a seeder of
// generated data and a downloader showing its progress, then checks the
// result byte for byte and says what happened.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo")
	keep := fs.Bool("keep", false, "keep the demo's files afterwards")
	rateCap := fs.Int64("rate", 32<<20, "seeder upload cap in bytes per second (0: none)")
	serve := fs.Bool("serve", isTerminal(stdout), "afterwards keep serving the browser page until Ctrl-C")
	webAddr := fs.String("web", "127.0.0.1:8080", "address of the browser page (port 0 picks one)")
	if _, err := parseArgs(fs, args, stdout, "braid demo [--keep] [--rate BYTES] [--serve] [--web ADDR]"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.MkdirTemp("", "braid-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(root)
	}
	fmt.Fprintf(stdout, "Braid demo — a local swarm in %s\n", root)

	// 1. Content.
	src := filepath.Join(root, "seed")
	var total int64
	for i, f := range demoFiles {
		if err := writeRandomFile(filepath.Join(src, "braid-demo", f.path), f.size, uint64(i+1)); err != nil {
			return err
		}
		total += f.size
	}
	fmt.Fprintf(stdout, "• generated %d files, %s\n", len(demoFiles), humanBytes(float64(total)))

	// 2. Tracker.
	tctx, tcancel := context.WithCancel(ctx)
	defer tcancel()
	urls := make(chan [2]string, 1)
	trackerErr := make(chan error, 1)
	go func() {
		trackerErr <- tracker.ListenAndServe(tctx, "127.0.0.1:0", "127.0.0.1:0", tracker.ServerConfig{Interval: 5 * time.Second},
			func(h, u string) { urls <- [2]string{h, u} })
	}()
	var announce [2]string
	select {
	case announce = <-urls:
	case err := <-trackerErr:
		return fmt.Errorf("demo tracker: %w", err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("demo tracker did not start")
	}
	wsTracker := tracker.WebSocketURL(announce[0])
	fmt.Fprintf(stdout, "• tracker on %s, %s and %s (WebRTC signalling)\n", announce[0], announce[1], wsTracker)

	// 3. Torrent.
	torrentPath := filepath.Join(root, "braid-demo.torrent")
	var sink bytes.Buffer
	if err := runCreate([]string{"-o", torrentPath, "--announce", announce[0], "--announce", announce[1], "--announce", wsTracker,
		"--piece-length", "256KiB", filepath.Join(src, "braid-demo")}, &sink); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "• %s", sink.String())

	// 4. Seeder.
	// The seeder is capped so a person can watch the transfer; *rate is
	// bytes per second (0 lifts the cap).
	// It speaks TCP only, like most of the BitTorrent world.
	seeder, err := braid.New(braid.Config{DataDir: src, StateDir: filepath.Join(root, "seed-state"),
		ListenAddr: "127.0.0.1:0", TrackerMinInterval: time.Second, UploadRate: *rateCap, NoDHT: true, NoWebRTC: true})
	if err != nil {
		return err
	}
	defer seeder.Close()
	st, err := seeder.Download(ctx, torrentPath)
	if err != nil {
		return err
	}
	<-st.Checked()
	cr := st.CheckResult()
	fmt.Fprintf(stdout, "• seeder on %s verified %d/%d pieces and is seeding\n", seeder.ListenAddr(), cr.Valid, cr.Checked)

	// 5. Downloader, finding the seeder through the tracker only.
	dst := filepath.Join(root, "download")
	// It joins the TCP swarm and the WebRTC swarm, and takes WebSocket
	// peers: browsers reach it through any of them.
	leecher, err := braid.New(braid.Config{DataDir: dst, StateDir: filepath.Join(root, "leech-state"),
		ListenAddr: "127.0.0.1:0", TrackerMinInterval: time.Second, NoDHT: true, WSListenAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer leecher.Close()
	fmt.Fprintf(stdout, "• downloader on %s (TCP), %s (WebSocket peers) and the WebRTC swarm starts\n",
		leecher.ListenAddr(), leecher.WSURL())
	start := time.Now()
	lt, err := leecher.Download(ctx, torrentPath)
	if err != nil {
		return err
	}
	rep := newReporter(stdout, stderr, false, false)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo interrupted")
		case <-lt.Stopped():
			return fmt.Errorf("download stopped: %v", lt.Err())
		case <-lt.Completed():
			break wait
		case <-tick.C:
			rep.progress(leecher, lt)
			if time.Since(start) > 5*time.Minute {
				return fmt.Errorf("demo download did not finish in 5 minutes")
			}
		}
	}
	took := time.Since(start)
	rep.progress(leecher, lt)
	rep.finish()
	stats, _ := leecher.Stats(lt.InfoHash(), "fetched", "peers", "hash_fails")
	// Upload counters are published once a second: give them that long.
	up, _ := seeder.Stats(st.InfoHash(), "uploaded")
	for deadline := time.Now().Add(2 * time.Second); up["uploaded"].(int64) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		up, _ = seeder.Stats(st.InfoHash(), "uploaded")
	}

	// 6. Check every byte.
	for _, f := range demoFiles {
		a, err := fileSHA256(filepath.Join(src, "braid-demo", f.path))
		if err != nil {
			return err
		}
		b, err := fileSHA256(filepath.Join(dst, "braid-demo", f.path))
		if err != nil {
			return err
		}
		if a != b {
			return fmt.Errorf("demo: %s differs from the original", f.path)
		}
	}
	secs := took.Seconds()
	fmt.Fprintf(stdout, "\nWhat happened: Braid generated %d files (%s) and made a torrent of them with "+
		"256 KiB pieces. A Braid tracker ran on loopback, a Braid seeder verified the data and announced itself, "+
		"and a Braid downloader that knew only the .torrent file asked the tracker for peers, connected to the "+
		"seeder over TCP and fetched %s in %.2f s (%s/s), checking every piece's SHA-1 before writing it as "+
		"verified (%v hash failures); the seeder uploaded %s. All %d files match the originals byte for byte, "+
		"and the downloader saved its resume record on the way out.\n",
		len(demoFiles), humanBytes(float64(total)), humanBytes(float64(stats["fetched"].(int64))), secs,
		humanBytes(float64(total)/secs), stats["hash_fails"], humanBytes(float64(up["uploaded"].(int64))), len(demoFiles))

	// 7. The browser: the page joins the same torrent over WebRTC (through
	// the tracker's WebSocket) and over a WebSocket peer connection to the
	// downloader, which now seeds what it got over TCP.
	if err := demoBrowser(ctx, stdout, leecher, lt, torrentPath, wsTracker, *webAddr, *serve); err != nil {
		return err
	}
	return leecher.StopAllAndSerialize()
}

// demoBrowser serves the browser client with the demo torrent preloaded and,
// when serve is set, shows who downloads from the native node until Ctrl-C.
func demoBrowser(ctx context.Context, stdout io.Writer, node *braid.Client, t *braid.Torrent,
	torrentPath, wsTracker, addr string, serve bool) error {
	dir, err := findWebRoot("")
	if err != nil {
		fmt.Fprintf(stdout, "\n(browser part skipped: %v)\n", err)
		return nil
	}
	raw, err := os.ReadFile(torrentPath)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0") // the usual port is taken
		if err != nil {
			return fmt.Errorf("demo web page: %w", err)
		}
	}
	cfg := webConfig{Trackers: []string{wsTracker}, Add: []webAdd{{Torrent: "demo.torrent", Peers: []string{node.WSURL()}}}}
	srv := &http.Server{Handler: webHandler(dir, cfg, map[string][]byte{"/demo.torrent": raw}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(stdout, "\nBrowser: open http://%s/ — the page adds the same torrent and downloads it in the tab "+
		"from the native downloader (over WebRTC and a WebSocket peer connection), data that reached the native "+
		"node over TCP.\n", ln.Addr())
	if !serve {
		return nil
	}
	fmt.Fprintln(stdout, "Serving until Ctrl-C.")
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout)
			return nil
		case <-tick.C:
			st, err := node.Stats(t.InfoHash(), "peers_by_transport", "uploaded")
			if err != nil {
				return err
			}
			line := fmt.Sprintf("native node: peers %v, uploaded %s", st["peers_by_transport"],
				humanBytes(float64(st["uploaded"].(int64))))
			if line != last {
				fmt.Fprintln(stdout, line)
				last = line
			}
		}
	}
}

// writeRandomFile writes size pseudo-random bytes (deterministic per seed).
func writeRandomFile(path string, size int64, seed uint64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'b', 'r', 'a', 'i', 'd'})
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSHA256(path string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
