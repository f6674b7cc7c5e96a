//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/rpc"
)

const daemonSynopsis = "braid daemon [--rpc ADDR] [--dir DIR] [--state-dir DIR] [--config FILE] [--watch DIR] [--rpc-password-file FILE] [--web-root DIR | --no-web] [client flags]"

// maxPasswordFile bounds --rpc-password-file.
const maxPasswordFile = 4096

// maxSettingsFile bounds the settings file.
const maxSettingsFile = 1 << 20

// daemonSettings is the part of the settings file (Transmission's key
// names) the command reads itself; package rpc reads the session keys.
// The RPC password comes from here, from --rpc-password-file or from the
// environment (BRAID_RPC_PASSWORD), never from the command line.
type daemonSettings struct {
	DownloadDir   string `json:"download-dir"`
	RPCUsername   string `json:"rpc-username"`
	RPCPassword   string `json:"rpc-password"`
	HostWhitelist string `json:"rpc-host-whitelist"` // comma-separated names; "*.example.org" matches subdomains
}

func loadSettings(file string) (daemonSettings, error) {
	var s daemonSettings
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSettingsFile+1))
	if err != nil {
		return s, err
	}
	if len(data) > maxSettingsFile {
		return s, fmt.Errorf("%s: larger than %d bytes", file, maxSettingsFile)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// readPasswordFile reads a password: the file's first line, bounded.
func readPasswordFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxPasswordFile {
		return "", fmt.Errorf("%s: larger than %d bytes", file, maxPasswordFile)
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("%s: empty first line", file)
	}
	return pw, nil
}

// checkRPCExposure refuses credentials half set, and an RPC address
// other machines can reach without both.
func checkRPCExposure(addr, user, password, configFile string) error {
	if (user == "") != (password == "") {
		return usagef("daemon: set both rpc-username and rpc-password, or neither")
	}
	if !rpc.IsLoopbackAddr(addr) && password == "" {
		return usagef("daemon: --rpc %s is reachable from other machines: set rpc-username (in %s or BRAID_RPC_USERNAME) "+
			"and a password (--rpc-password-file, BRAID_RPC_PASSWORD or rpc-password in %s) first", addr, configFile, configFile)
	}
	return nil
}

func runDaemon(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("daemon")
	var f clientFlags
	f.register(fs)
	rpcAddr := fs.String("rpc", "127.0.0.1:9091", "serve Transmission's RPC on `ADDR` (not loopback: credentials required)")
	watchDir := fs.String("watch", "", "add .torrent files dropped in `DIR` (renamed .added, or .invalid)")
	configFile := fs.String("config", "", "settings `FILE` (JSON, Transmission's key names; default: settings.json beside the state directory)")
	passwordFile := fs.String("rpc-password-file", "", "read the RPC password from `FILE` (first line)")
	webRootFlag := fs.String("web-root", "", "serve the web page from `DIR` at / (default: web/ beside the binary or in the current directory)")
	noWeb := fs.Bool("no-web", false, "serve the RPC only, no web page")
	pos, err := parseArgs(fs, args, stdout, daemonSynopsis)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("daemon: unexpected argument %q", pos[0])
	}
	cfg, err := f.config("daemon", stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if f.verbose {
		cfg.Logger = logger
	}
	if *configFile == "" {
		*configFile = filepath.Join(filepath.Dir(filepath.Clean(cfg.StateDir)), "settings.json")
	}
	settings, err := loadSettings(*configFile)
	if err == nil {
		err = rpc.CheckSettings(*configFile)
	}
	if err != nil {
		return fmt.Errorf("daemon: settings: %w", err)
	}
	if fi, err := os.Stat(*configFile); err == nil && settings.RPCPassword != "" && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("the settings file holds the RPC password and others may read it: chmod 600 it", "file", *configFile)
	}
	if v := os.Getenv("BRAID_RPC_USERNAME"); v != "" {
		settings.RPCUsername = v
	}
	if v := os.Getenv("BRAID_RPC_PASSWORD"); v != "" {
		settings.RPCPassword = v
	}
	if *passwordFile != "" {
		pw, err := readPasswordFile(*passwordFile)
		if err != nil {
			return usagef("daemon: --rpc-password-file: %v", err)
		}
		settings.RPCPassword = pw
	}
	if err := checkRPCExposure(*rpcAddr, settings.RPCUsername, settings.RPCPassword, *configFile); err != nil {
		return err
	}
	dir := f.dir
	if !flagSet(fs, "dir") && settings.DownloadDir != "" {
		dir = settings.DownloadDir
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return fmt.Errorf("daemon: --dir: %w", err)
	}
	cfg.DataDir = dir
	if *watchDir != "" {
		if *watchDir, err = filepath.Abs(*watchDir); err != nil {
			return fmt.Errorf("daemon: --watch: %w", err)
		}
		if fi, err := os.Stat(*watchDir); err != nil || !fi.IsDir() {
			return usagef("daemon: --watch %s: not a directory", *watchDir)
		}
	}
	webRoot := ""
	if !*noWeb {
		if webRoot, err = daemonWebRoot(*webRootFlag, logger); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *rpcAddr)
	if err != nil {
		return fmt.Errorf("daemon: rpc: %w", err)
	}
	defer ln.Close()
	c, err := newClientAnyPort(fs, cfg)
	if err != nil {
		return err
	}
	peerPort := 0
	if _, p, err := net.SplitHostPort(c.ListenAddr()); err == nil {
		peerPort, _ = strconv.Atoi(p)
	}
	configDir, _ := filepath.Abs(filepath.Dir(*configFile))
	closing := make(chan struct{})
	var hosts []string
	for _, h := range strings.Split(settings.HostWhitelist, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	encryption := map[braid.Encryption]string{braid.EncryptionRequired: "required", braid.EncryptionDisabled: "tolerated"}[cfg.Encryption]
	srv, err := rpc.New(rpc.Config{
		Client: c, DownloadDir: dir, StateFile: filepath.Join(cfg.StateDir, "daemon.json"), SettingsFile: *configFile,
		Peers: f.peers, Blocklist: cfg.Blocklist,
		Username: settings.RPCUsername, Password: settings.RPCPassword, AllowedHosts: hosts,
		Session: rpc.SessionInfo{ConfigDir: configDir, PeerPort: peerPort, DHT: !cfg.NoDHT, UTP: !cfg.NoUTP,
			PortForwarding: !cfg.NoPortMapping, LPD: !cfg.NoLSD, Encryption: encryption, SpeedLimitDown: cfg.DownloadRate,
			SpeedLimitUp: cfg.UploadRate, PeerLimitPerTorrent: 80, PeerLimitGlobal: 500},
		OnClose: func() { close(closing) },
		Logger:  logger,
	})
	if err != nil {
		_ = c.Close()
		return fmt.Errorf("daemon: %w", err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	srv.Resume()
	watchCtx, cancelWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	if *watchDir != "" {
		go func() { defer close(watched); srv.Watch(watchCtx, *watchDir, rpc.WatchInterval) }()
	} else {
		close(watched)
	}
	ticked := make(chan struct{})
	go func() { defer close(ticked); srv.Run(watchCtx, rpc.TickInterval) }() // queue and seed limits
	stopWatch := func() { cancelWatch(); <-watched; <-ticked }               // an add under way finishes first
	defer stopWatch()
	hs := &http.Server{Handler: srv.Handler(webRoot), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	web := "none"
	if webRoot != "" {
		web = "http://" + ln.Addr().String() + "/"
	}
	logger.Info("braid daemon started", "version", braid.Release(), "rpc", "http://"+ln.Addr().String()+rpc.Path,
		"web", web, "peers", c.ListenAddr(), "dir", dir, "state", cfg.StateDir)
	var serveErr error
	select {
	case s := <-sigs:
		logger.Info("stopping: saving every torrent (a second signal exits at once)", "signal", s.String())
	case <-closing:
		logger.Info("stopping: session-close (saving every torrent)")
	case serveErr = <-served:
		logger.Error("rpc server failed", "err", serveErr)
	}
	go func() {
		<-sigs
		fmt.Fprintln(stderr, "braid: second signal: exiting without saving")
		os.Exit(exitFailure)
	}()
	stopWatch()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = hs.Shutdown(sctx)
	cancel()
	if err := srv.Save(); err != nil {
		logger.Warn("save daemon state", "err", err)
	}
	err = c.StopAllAndSerialize()
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if err == nil && serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = fmt.Errorf("daemon: rpc: %w", serveErr)
	}
	if err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}
