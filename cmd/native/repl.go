package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/braid-bt/braid"
)

const replHelp = `commands:
  add TORRENT [DIR]          start downloading (and then seeding) a torrent
  list                       list torrents with their number, progress and state
  stats N|HASH [FIELD...]    show statistics (fields: see 'fields')
  fields                     list the statistics fields
  files N|HASH               list a torrent's files
  stop N|HASH                stop a torrent and save its state
  remove N|HASH [--delete-data]  remove a torrent (and its data)
  quit                       stop every torrent, save state and exit
`

// replConfig configures the interactive loop's client; tests turn the
// public DHT off.
var replConfig = braid.Config{ListenAddr: ":6881", DHTBootstrap: braid.DefaultDHTBootstrap}

// runREPL is the interactive loop: a line-based shell over the Client API.
func runREPL(stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := braid.New(replConfig)
	if err != nil {
		cfg := replConfig
		cfg.ListenAddr = ":0" // 6881 taken: any port will do
		c, err = braid.New(cfg)
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "braid %s — type 'help' for commands; listening on %s\n", braid.Release(), c.ListenAddr())
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
		if err := replCommand(c, fields, stdout); err != nil {
			fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
		}
	}
	fmt.Fprintln(stdout, "stopping and saving state…")
	return c.Close()
}

func replCommand(c *braid.Client, args []string, out io.Writer) error {
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "?":
		fmt.Fprint(out, replHelp)
	case "add":
		if len(rest) < 1 || len(rest) > 2 {
			return fmt.Errorf("usage: add TORRENT [DIR]")
		}
		var opts []braid.DownloadOption
		if len(rest) == 2 {
			opts = append(opts, braid.WithDir(rest[1]))
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
		ih, err := pickTorrent(c, rest)
		if err != nil {
			return err
		}
		st, err := c.Stats(ih, rest[1:]...)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b, _ := json.Marshal(st[k])
			fmt.Fprintf(out, "%-12s %s\n", k, b)
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
			fmt.Fprintf(out, "%3d  %6.1f%%  %12d  %s\n", f.Index, 100*f.Progress, f.Length, f.Path)
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

// pickTorrent resolves a list number or a (prefix of a) hex info hash.
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
	for _, ih := range list {
		if strings.HasPrefix(ih.String(), strings.ToLower(args[0])) {
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
