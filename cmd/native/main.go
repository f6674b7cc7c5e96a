//go:build !js

// Command braid is the Braid BitTorrent client for the terminal.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `braid — a BitTorrent client

usage:
  braid [flags]                interactive loop (add, list, stats, files, remove, stop, quit);
                               it takes the client flags of download (--dir, --state-dir,
                               --listen, --no-dht, --peer, ...)
  braid download [flags] SRC   download a .torrent; Ctrl-C stops and saves state
  braid seed [flags] TORRENT   verify existing data and seed it
  braid create -o OUT [--announce URL]... [--piece-length BYTES] [--webseed URL]... PATH
  braid info SRC               show a torrent's metainfo, or what a magnet link holds
                               (--scrape: also each tracker's seeders, leechers, completed)
  braid tracker [flags]        run a tracker (HTTP, UDP and WebSocket/WebRTC) for local swarms
  braid web [flags]            serve the browser client (make web builds it)
  braid demo                   a self-contained local swarm: tracker, seeder, downloader
  braid daemon [flags]         long-running node driven over Transmission's RPC
                               (--rpc ADDR, default 127.0.0.1:9091; --config FILE)
  braid version                print the version

Run 'braid COMMAND -h' for a command's flags. The interactive loop takes
those of 'braid download -h' but --seed, --quiet, --json and --only.
`

// exit codes: 0 done, 1 runtime failure, 2 usage error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors that are the user's invocation, not the run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// A bug must never show a user a stack trace; report it as one line.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "braid: internal error: %v\n", r)
			code = exitFailure
		}
	}()
	var err error
	if len(args) == 0 {
		err = runREPL(nil, stdin, stdout, stderr)
	} else {
		cmd, rest := args[0], args[1:]
		switch cmd {
		case "download":
			err = runDownload(rest, stdout, stderr, false)
		case "seed":
			err = runDownload(rest, stdout, stderr, true)
		case "create":
			err = runCreate(rest, stdout)
		case "info":
			err = runInfo(rest, stdout)
		case "tracker":
			err = runTracker(rest, stdout)
		case "web":
			err = runWeb(rest, stdout)
		case "demo":
			err = runDemo(rest, stdout, stderr)
		case "daemon":
			err = runDaemon(rest, stdout, stderr)
		case "version", "--version", "-v":
			fmt.Fprintf(stdout, "braid %s (peer id prefix %s)\n", semverString(), peerPrefix())
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage)
		default:
			if strings.HasPrefix(cmd, "-") {
				err = runREPL(args, stdin, stdout, stderr) // braid [flags]
			} else {
				err = usagef("unknown command %q (run 'braid help')", cmd)
			}
		}
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "braid: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || blocklistError(err) || proxyError(err) {
		return exitUsage
	}
	return exitFailure
}

// oneLine keeps error output to a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// newFlagSet returns a flag set that reports errors as usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags anywhere among the arguments; -h prints the
// command's help to stdout.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer, synopsis string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, synopsis)
	}
	return pos, err
}

// parseInterspersed lets flags follow positional arguments
// (`braid download x.torrent --dir d`), as users expect.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
