//go:build !js

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/internal/socks5"
	"github.com/braid-bt/braid/transport/utp"
)

// clientFlags are the flags of every command that runs a client: download,
// seed and the interactive loop.
type clientFlags struct {
	dir, stateDir, listen string
	peers                 listFlag
	noDHT, verbose        bool
	uploadRate            string
	downloadRate          string
	encryption            string
	dhtBootstrap          string
	wsListen              string
	wsTrackers, stun      listFlag
	turn                  listFlag
	turnUser, turnPass    string
	relayOnly             bool
	rtcLoopback, noWebRTC bool
	noPortMapping, noUTP  bool
	blocklist             string
	noLSD                 bool
	proxy                 string
	proxyAllowDirect      bool
}

// register defines the client flags on fs.
func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", ".", "directory to save data in (also for a torrent whose resume record names another)")
	fs.StringVar(&f.stateDir, "state-dir", ".braid/state", "directory for resume records")
	fs.StringVar(&f.listen, "listen", ":6881", "address to accept peers on (port 0 picks one)")
	fs.Var(&f.peers, "peer", "dial this peer `HOST:PORT` directly (utp://HOST:PORT: over uTP only; repeatable)")
	fs.BoolVar(&f.noDHT, "no-dht", false, "do not use the DHT")
	fs.StringVar(&f.dhtBootstrap, "dht-bootstrap", "", "comma-separated `HOST:PORT` DHT nodes to bootstrap from (default: the public routers)")
	fs.BoolVar(&f.verbose, "verbose", false, "log diagnostics to stderr")
	fs.StringVar(&f.uploadRate, "upload-rate", "", "cap upload to `RATE` bytes per second (e.g. 5MiB)")
	fs.StringVar(&f.downloadRate, "download-rate", "", "cap download to `RATE` bytes per second (e.g. 5MiB)")
	fs.StringVar(&f.encryption, "encryption", "enabled", "TCP peer encryption (MSE): `enabled` (plain or encrypted), required or disabled")
	fs.StringVar(&f.wsListen, "ws-listen", "", "also accept peers over WebSocket on `ADDR` (browsers dial ws://ADDR/)")
	fs.Var(&f.wsTrackers, "ws-tracker", "join the WebRTC swarm through this WebSocket tracker `URL` (repeatable)")
	fs.Var(&f.stun, "stun", "STUN server `URLs` for WebRTC, comma-separated or repeated, e.g. stun:stun.example.org:3478; none: no STUN (default: "+stunDefault()+")")
	fs.Var(&f.turn, "turn", "TURN server `URL` for WebRTC, e.g. turn:turn.example.org:3478?transport=udp (repeatable; needs --turn-user and --turn-pass-file)")
	fs.StringVar(&f.turnUser, "turn-user", "", "TURN `username`")
	fs.StringVar(&f.turnPass, "turn-pass-file", "", "`FILE` holding the TURN password (its first line)")
	fs.BoolVar(&f.relayOnly, "relay-only", false, "WebRTC through the TURN relay only (no direct or STUN candidates)")
	fs.BoolVar(&f.rtcLoopback, "rtc-loopback", false, "let WebRTC use loopback addresses (peers on this machine)")
	fs.BoolVar(&f.noWebRTC, "no-webrtc", false, "ignore WebSocket trackers (no WebRTC peers)")
	fs.BoolVar(&f.noPortMapping, "no-port-mapping", false, "do not ask the router (UPnP, NAT-PMP) to forward the listening ports")
	fs.BoolVar(&f.noUTP, "no-utp", false, "do not accept or dial uTP peers (TCP only)")
	fs.StringVar(&f.blocklist, "blocklist", "", "refuse peers at the IP ranges of this blocklist `FILE-or-URL` (P2P or ipfilter.dat, plain or gzip; SIGHUP reloads it)")
	fs.BoolVar(&f.noLSD, "no-lsd", false, "do not announce torrents to the LAN or find peers there (local service discovery)")
	fs.StringVar(&f.proxy, "proxy", "", "reach peers (TCP), trackers (HTTP, UDP) and web seeds only through this SOCKS5 proxy `socks5://[USER:PASS@]HOST:PORT`; strict: no listener, uTP, DHT, LSD, port mapping or WebRTC")
	fs.BoolVar(&f.proxyAllowDirect, "proxy-allow-direct", false, "with --proxy, still run the listener, uTP, DHT, LSD, port mapping and WebRTC directly (not through the proxy)")
}

// config checks the client flags and returns the client's configuration;
// name prefixes usage errors.
func (f *clientFlags) config(name string, stderr io.Writer) (braid.Config, error) {
	cfg := braid.Config{DataDir: f.dir, StateDir: f.stateDir, ListenAddr: f.listen, NoDHT: f.noDHT,
		DHTBootstrap: braid.DefaultDHTBootstrap, WSListenAddr: f.wsListen, WSTrackers: f.wsTrackers,
		ICERelayOnly: f.relayOnly, RTCLoopback: f.rtcLoopback, NoWebRTC: f.noWebRTC, NoPortMapping: f.noPortMapping, NoUTP: f.noUTP,
		Blocklist: f.blocklist, NoLSD: f.noLSD, Proxy: f.proxy, ProxyAllowDirect: f.proxyAllowDirect}
	if f.proxy != "" {
		if _, err := socks5.ParseURL(f.proxy); err != nil {
			return cfg, usagef("%s: --proxy: %v", name, err)
		}
		if f.wsListen != "" && !f.proxyAllowDirect {
			return cfg, usagef("%s: --ws-listen would take peers around --proxy (add --proxy-allow-direct to use both)", name)
		}
		if !f.proxyAllowDirect {
			// Strict: the node turns these off itself; said here too, so
			// what the daemon reports over RPC is what runs.
			cfg.NoDHT, cfg.NoUTP, cfg.NoLSD, cfg.NoPortMapping, cfg.NoWebRTC = true, true, true, true, true
		}
	} else if f.proxyAllowDirect {
		return cfg, usagef("%s: --proxy-allow-direct needs --proxy", name)
	}
	for _, u := range f.wsTrackers {
		if l := strings.ToLower(u); !strings.HasPrefix(l, "ws://") && !strings.HasPrefix(l, "wss://") {
			return cfg, usagef("%s: --ws-tracker %q: want a ws:// or wss:// URL", name, u)
		}
	}
	for _, p := range f.peers {
		if err := checkPeerAddr(p); err != nil {
			return cfg, usagef("%s: --peer %q: %v", name, p, err)
		}
	}
	if f.dhtBootstrap != "" {
		cfg.DHTBootstrap = strings.Split(f.dhtBootstrap, ",")
	}
	var err error
	if f.uploadRate != "" {
		if cfg.UploadRate, err = parseSize(f.uploadRate); err != nil {
			return cfg, usagef("%s: --upload-rate: %v", name, err)
		}
	}
	if f.downloadRate != "" {
		if cfg.DownloadRate, err = parseSize(f.downloadRate); err != nil {
			return cfg, usagef("%s: --download-rate: %v", name, err)
		}
	}
	if cfg.Encryption, err = braid.ParseEncryption(f.encryption); err != nil {
		return cfg, usagef("%s: --encryption: %v", name, err)
	}
	if !cfg.NoWebRTC { // off by --no-webrtc, or by a strict --proxy
		if cfg.ICEServers, err = f.iceServers(); err != nil {
			return cfg, usagef("%s: %v", name, err)
		}
	}
	if f.verbose {
		cfg.Logger = newStderrLogger(stderr)
	}
	return cfg, nil
}

// dirOption is the download option of a --dir the user typed: the data
// goes there even when a resume record names another place (Braid checks
// what is there and fetches the rest). Without --dir, nil: a record's
// place is kept.
func (f *clientFlags) dirOption(fs *flag.FlagSet) (braid.DownloadOption, error) {
	if !flagSet(fs, "dir") {
		return nil, nil
	}
	abs, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, fmt.Errorf("--dir %s: %w", f.dir, err)
	}
	return braid.WithDir(abs), nil
}

type downloadFlags struct {
	clientFlags
	seed, quiet, json bool
	superSeed         bool
	only              string
}

// interruptContext is cancelled by Ctrl-C or SIGTERM.
var interruptContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runDownload(args []string, stdout, stderr io.Writer, seedOnly bool) error {
	name := "download"
	synopsis := "braid download [flags] TORRENT"
	if seedOnly {
		name, synopsis = "seed", "braid seed [flags] TORRENT"
	}
	fs := newFlagSet(name)
	var f downloadFlags
	f.register(fs)
	fs.BoolVar(&f.seed, "seed", seedOnly, "keep seeding after the download completes")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per line (machine-readable)")
	fs.BoolVar(&f.superSeed, "super-seed", false, "once complete, seed in super-seeding mode (BEP 16): show each peer one rare piece at a time, so a first seeder uploads each piece about once")
	fs.StringVar(&f.only, "only", "", "download only these files, by index as 'braid info' lists them: `LIST` like 0,2,4-6")
	pos, err := parseArgs(fs, args, stdout, synopsis)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("%s: want exactly one torrent, got %d arguments", name, len(pos))
	}
	if seedOnly {
		f.seed = true
	}
	cfg, err := f.config(name, stderr)
	if err != nil {
		return err
	}
	opts := []braid.DownloadOption{braid.WithPeers(f.peers...)}
	dirOpt, err := f.dirOption(fs)
	if err != nil {
		return err
	}
	if dirOpt != nil {
		opts = append(opts, dirOpt)
	}
	if f.superSeed {
		opts = append(opts, braid.WithSuperSeed())
	}
	if flagSet(fs, "only") {
		files, err := metainfo.ParseFileList(f.only)
		if err != nil {
			return usagef("%s: --only: %v", name, err)
		}
		opts = append(opts, braid.WithFiles(files...))
	}
	ctx, stop := interruptContext()
	defer stop()
	c, err := braid.New(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	rep := newReporter(stdout, stderr, f.json, f.quiet)
	rep.proxy(cfg)
	if cfg.Blocklist != "" {
		rep.logf("blocklist: %d ranges", c.BlocklistLen())
		defer reloadOnHangup(c, stderr)()
	}
	t, err := c.Download(ctx, pos[0], opts...)
	if err != nil {
		return err
	}
	rep.listening(c.ListenAddr(), c.WSURL())
	if dirOpt == nil && t.RecordStatus() == braid.RecordOK {
		if g, err := c.Get(t.InfoHash(), "save_path"); err == nil && !sameDir(g["save_path"].(string), f.dir) {
			rep.savePath(g["save_path"].(string))
		}
	}
	start := time.Now()
	// A magnet fetches its metadata first, and any torrent checks its data:
	// report progress meanwhile, and fail early if no tracker answers.
	wait := time.NewTicker(time.Second)
checking:
	for {
		select {
		case <-t.Checked():
			break checking
		case <-ctx.Done():
			wait.Stop()
			return stopAndReport(c, t, rep)
		case <-t.Stopped():
			wait.Stop()
			if err := t.Err(); err != nil {
				return err
			}
			return errors.New("torrent stopped")
		case <-wait.C:
			if len(f.peers) == 0 && len(f.wsTrackers) == 0 {
				if err := unreachableTrackers(c, t); err != nil {
					wait.Stop()
					_ = c.StopAndSerialize(t.InfoHash())
					return err
				}
			}
			if err := t.Err(); err != nil {
				// The metadata from peers was unusable (a v2 magnet's
				// files need piece layers, say): say so and stop.
				wait.Stop()
				rep.progress(c, t)
				_ = c.StopAndSerialize(t.InfoHash())
				return err
			}
			rep.progress(c, t)
		}
	}
	wait.Stop()
	rep.resume(t)
	if seedOnly {
		if st, err := c.Stats(t.InfoHash(), "left"); err == nil && st["left"].(int64) > 0 {
			rep.warn(fmt.Sprintf("%s: %d bytes of the data are missing or damaged; fetching them from peers", t.Name(), st["left"].(int64)))
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	completed := t.Completed()
	for {
		select {
		case <-ctx.Done():
			return stopAndReport(c, t, rep)
		case <-t.Stopped():
			if err := t.Err(); err != nil {
				rep.progress(c, t)
				return err
			}
			return errors.New("torrent stopped")
		case <-completed:
			completed = nil
			rep.progress(c, t)
			rep.complete(c, t, time.Since(start))
			if !f.seed {
				rep.finish()
				return stopAndReport(c, t, rep)
			}
			rep.seeding(t)
		case <-tick.C:
			if len(f.peers) == 0 && len(f.wsTrackers) == 0 {
				if err := unreachableTrackers(c, t); err != nil {
					_ = c.StopAndSerialize(t.InfoHash())
					return err
				}
			}
			if err := t.Err(); err != nil {
				rep.progress(c, t)
				_ = c.StopAndSerialize(t.InfoHash())
				return err
			}
			rep.progress(c, t)
		}
	}
}

// stopAndReport stops the torrent, saving its resume record.
func stopAndReport(c *braid.Client, t *braid.Torrent, rep *reporter) error {
	rep.finish()
	err := c.StopAndSerialize(t.InfoHash())
	rep.stopped()
	if err != nil {
		return err
	}
	return t.Err()
}

// unreachableTrackers fails a download that has only trackers to find
// peers, when every one of them has failed and none ever answered: the user
// should hear that at once rather than watch 0%.
func unreachableTrackers(c *braid.Client, t *braid.Torrent) error {
	st, err := c.Stats(t.InfoHash(), "trackers", "peers", "left")
	if err != nil || st["peers"].(int) > 0 || st["left"].(int64) == 0 {
		return nil
	}
	trs := st["trackers"].([]braid.TrackerInfo)
	if len(trs) == 0 {
		return nil
	}
	for _, tr := range trs {
		if tr.Error == "" || !tr.LastAnnounce.IsZero() {
			return nil
		}
	}
	return fmt.Errorf("no tracker reachable: %s: %s", trs[0].URL, trs[0].Error)
}

// checkPeerAddr accepts what --peer can dial: "host:port", "utp://host:port"
// and a ws:// or wss:// peer URL.
func checkPeerAddr(addr string) error {
	l := strings.ToLower(addr)
	if strings.HasPrefix(l, "ws://") || strings.HasPrefix(l, "wss://") {
		if _, err := url.Parse(addr); err != nil {
			return fmt.Errorf("not a URL: %w", err)
		}
		return nil
	}
	hostport, _ := utp.SplitAddr(addr)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return errors.New("want HOST:PORT, utp://HOST:PORT or a ws:// URL")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want 1-65535", port)
	}
	return nil
}

// flagSet reports whether the command line gave flag name (even empty).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// newClientAnyPort starts a client; when the default listen port is taken
// (another braid runs) and the user named none, any free port will do.
func newClientAnyPort(fs *flag.FlagSet, cfg braid.Config) (*braid.Client, error) {
	c, err := braid.New(cfg)
	if err != nil && !flagSet(fs, "listen") {
		cfg.ListenAddr = ":0"
		c, err = braid.New(cfg)
	}
	return c, err
}
