//go:build !js

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/braid-bt/braid"
)

const replHelp = `commands:
  add TORRENT [DIR]          start downloading (and then seeding) a torrent or magnet
  list                       list torrents with their number, progress and state
  stats N|HASH [FIELD...] [--raw]  show statistics (fields: see 'fields'; --raw: exact
                             numbers as JSON, bytes and bytes per second)
  fields                     list the statistics fields
  files N|HASH               list a torrent's files
  stop N|HASH                stop a torrent and save its state
  remove N|HASH [--delete-data]  remove a torrent (and its data)
  quit                       stop every torrent, save state and exit
`

const replSynopsis = "braid [flags]    (the interactive loop; 'help' in it lists its commands)"

// repl is the interactive loop's state: its client and the flags it was
// started with.
type repl struct {
	c      *braid.Client
	fs     *flag.FlagSet
	peers  []string
	dirOpt braid.DownloadOption // a typed --dir; nil without one
	out    io.Writer
}

// runREPL is the interactive loop: a line-based shell over the Client API.
// It takes the client flags of the download command.
func runREPL(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("interactive loop")
	var f clientFlags
	f.register(fs)
	pos, err := parseArgs(fs, args, stdout, replSynopsis)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unknown command %q (run 'braid help'; a command's flags follow it: braid COMMAND [flags])", pos[0])
	}
	cfg, err := f.config("interactive loop", stderr)
	if err != nil {
		return err
	}
	dirOpt, err := f.dirOption(fs)
	if err != nil {
		return err
	}
	c, err := newClientAnyPort(fs, cfg)
	if err != nil {
		return err
	}
	r := &repl{c: c, fs: fs, peers: f.peers, dirOpt: dirOpt, out: stdout}
	if cfg.Blocklist != "" {
		defer reloadOnHangup(c, stderr)()
	}
	where := "listening on " + c.ListenAddr()
	if c.ListenAddr() == "" {
		where = "not listening for peers"
		if cfg.Proxy != "" {
			where += " (all traffic through the proxy)"
		}
	}
	fmt.Fprintf(stdout, "braid %s — type 'help' for commands; %s\n", braid.Release(), where)
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for {
		fmt.Fprint(stdout, "braid> ")
		if !sc.Scan() {
			break
		}
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if fields[0] == "quit" || fields[0] == "exit" {
			break
		}
		if err := r.command(fields); err != nil {
			fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
		}
	}
	fmt.Fprintln(stdout, "stopping and saving state…")
	return c.Close()
}

// help lists the commands, then the flags the loop takes and those it was
// started with.
func (r *repl) help() {
	fmt.Fprint(r.out, replHelp)
	fmt.Fprint(r.out, "\nflags, given when starting the loop (braid [flags]):\n")
	r.fs.SetOutput(r.out)
	r.fs.PrintDefaults()
	r.fs.SetOutput(io.Discard)
	var set []string
	r.fs.Visit(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			set = append(set, "--"+f.Name+"="+f.Value.String())
		} else {
			set = append(set, "--"+f.Name+" "+f.Value.String())
		}
	})
	if len(set) > 0 {
		fmt.Fprintf(r.out, "\nthis loop was started with: %s\n", strings.Join(set, " "))
	}
}

func (r *repl) command(args []string) error {
	c, out := r.c, r.out
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "?":
		r.help()
	case "add":
		if len(rest) < 1 || len(rest) > 2 {
			return fmt.Errorf("usage: add TORRENT [DIR]")
		}
		opts := []braid.DownloadOption{braid.WithPeers(r.peers...)}
		if len(rest) == 2 {
			opts = append(opts, braid.WithDir(rest[1]))
		} else if r.dirOpt != nil {
			opts = append(opts, r.dirOpt)
		}
		t, err := c.Download(context.Background(), rest[0], opts...)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "added %s (%s)\n", t.Name(), t.InfoHash())
	case "list":
		for i, ih := range c.List() {
			st, err := c.Stats(ih, "name", "progress", "state", "speed", "peers")
			if err != nil {
				continue
			}
			sp := st["speed"].(braid.Speed)
			fmt.Fprintf(out, "%2d  %s  %-40s %6.1f%%  %-11s ↓ %s/s ↑ %s/s  %d peers\n", i+1, ih.String()[:8],
				st["name"], 100*st["progress"].(float64), st["state"], humanBytes(sp.Download), humanBytes(sp.Upload), st["peers"])
		}
	case "fields":
		fmt.Fprintln(out, strings.Join(braid.StatsFields(), " "))
	case "stats":
		raw := false
		var names []string
		for _, a := range rest {
			if a == "--raw" || a == "-raw" {
				raw = true
			} else {
				names = append(names, a)
			}
		}
		ih, err := pickTorrent(c, names)
		if err != nil {
			return err
		}
		st, err := c.Stats(ih, names[1:]...)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if raw {
				b, _ := json.Marshal(st[k])
				fmt.Fprintf(out, "%-12s %s\n", k, b)
			} else {
				fmt.Fprintf(out, "%-12s %s\n", k, humanStat(k, st[k]))
			}
		}
	case "files":
		ih, err := pickTorrent(c, rest)
		if err != nil {
			return err
		}
		fs, err := c.ListFiles(ih)
		if err != nil {
			return err
		}
		for _, f := range fs {
			fmt.Fprintf(out, "%3d  %6.1f%%  %10s  %s\n", f.Index, 100*f.Progress, humanBytes(float64(f.Length)), f.Path)
		}
	case "stop":
		ih, err := pickTorrent(c, rest)
		if err != nil {
			return err
		}
		if err := c.StopAndSerialize(ih); err != nil {
			return err
		}
		fmt.Fprintln(out, "stopped; state saved")
	case "remove":
		ih, err := pickTorrent(c, rest)
		if err != nil {
			return err
		}
		del := len(rest) > 1 && rest[1] == "--delete-data"
		if err := c.Remove(ih, braid.DeleteData(del)); err != nil {
			return err
		}
		fmt.Fprintln(out, "removed")
	default:
		return fmt.Errorf("unknown command %q (type 'help')", cmd)
	}
	return nil
}

// pickTorrent resolves a list number or a (prefix of a) hex info hash:
// the v1 hash or the 64-hex v2 hash (BEP 52) of a v2 or hybrid torrent.
func pickTorrent(c *braid.Client, args []string) (braid.InfoHash, error) {
	if len(args) == 0 {
		return braid.InfoHash{}, fmt.Errorf("name a torrent by its number in 'list' or its info hash")
	}
	list := c.List()
	if n, err := strconv.Atoi(args[0]); err == nil {
		if n < 1 || n > len(list) {
			return braid.InfoHash{}, fmt.Errorf("no torrent number %d: %w", n, braid.ErrTorrentNotFound)
		}
		return list[n-1], nil
	}
	var found []braid.InfoHash
	want := strings.ToLower(args[0])
	for _, ih := range list {
		v2 := ""
		if t, err := c.Torrent(ih); err == nil {
			v2 = t.InfoHashV2()
		}
		if strings.HasPrefix(ih.String(), want) || (v2 != "" && strings.HasPrefix(v2, want)) {
			found = append(found, ih)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return braid.InfoHash{}, fmt.Errorf("%s: %w", args[0], braid.ErrTorrentNotFound)
	default:
		return braid.InfoHash{}, fmt.Errorf("%s matches %d torrents; give more of the hash", args[0], len(found))
	}
}

// byteFields are the statistics counted in bytes.
var byteFields = map[string]bool{"downloaded": true, "bytes_size": true, "left": true,
	"uploaded": true, "fetched": true, "wasted": true}

// humanStat renders a statistic for people: sizes in KiB, MiB, GiB,
// rates per second, progress as a percent, times as durations.
func humanStat(field string, v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return "-"
		}
		return x
	case braid.Speed:
		return fmt.Sprintf("↓ %s/s ↑ %s/s", humanBytes(x.Download), humanBytes(x.Upload))
	case braid.Pieces:
		return fmt.Sprintf("%d of %d", x.Have, x.Total)
	case int64:
		if byteFields[field] {
			return humanBytes(float64(x))
		}
		return strconv.FormatInt(x, 10)
	case float64:
		switch field {
		case "progress":
			return fmt.Sprintf("%.1f%%", 100*x)
		case "eta":
			if x < 0 {
				return "unknown"
			}
			return humanDuration(x)
		case "ratio":
			return fmt.Sprintf("%.2f", x)
		}
	case map[string]int:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, x[k]))
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ", ")
	case []braid.TrackerInfo:
		parts := make([]string, 0, len(x))
		for _, tr := range x {
			scrape := ""
			if !tr.LastScrape.IsZero() {
				scrape = fmt.Sprintf("; scrape: %d seeders, %d leechers, %d completed", tr.ScrapeSeeders, tr.ScrapeLeechers, tr.ScrapeDownloaded)
			}
			switch {
			case tr.Error != "":
				parts = append(parts, fmt.Sprintf("%s (error: %s%s)", tr.URL, tr.Error, scrape))
			case tr.LastAnnounce.IsZero():
				parts = append(parts, fmt.Sprintf("%s (not yet answered%s)", tr.URL, scrape))
			default:
				parts = append(parts, fmt.Sprintf("%s (%d peers, %s ago%s)", tr.URL, tr.Peers, humanDuration(time.Since(tr.LastAnnounce).Seconds()), scrape))
			}
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		if field == "resume" {
			return fmt.Sprintf("record %v, %v pieces checked on start: %v good, %v bad", x["record"], x["checked"], x["valid"], x["invalid"])
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// humanDuration rounds seconds to a duration people read: 1m20s, 2h5m0s.
func humanDuration(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	if d < time.Second {
		return "0s"
	}
	return d.Round(time.Second).String()
}
