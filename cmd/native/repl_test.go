//go:build !js

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// braid [flags] starts the loop with them: the data of a torrent added
// there goes to --dir, its record to --state-dir, its peers come from
// --peer; help lists the flags; stats speak in human units unless --raw.
func TestLoopTakesFlags(t *testing.T) {
	fx := makeDirFixture(t)
	root := t.TempDir()
	x, y := filepath.Join(root, "x"), filepath.Join(root, "y")
	seeder := startSeeder(t, fx, root)

	in, feed := io.Pipe()
	out, errw := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"--no-dht", "--stun", "none", "--listen", "127.0.0.1:0", "--no-port-mapping", "--dir", x, "--state-dir", y,
			"--peer", seeder.ListenAddr()}, in, out, errw)
		_ = in.Close() // the loop is gone: no one reads what the test says
	}()
	say := func(line string) {
		_, err := fmt.Fprintln(feed, line)
		require.NoError(t, err, "the loop quit: stdout %q stderr %q", out.String(), errw.String())
	}
	say("add " + fx.torrent)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "progress     100.0%\n"); {
		require.True(t, time.Now().Before(deadline), "not complete: stdout %q stderr %q", out.String(), errw.String())
		say("stats 1 progress")
		time.Sleep(50 * time.Millisecond)
	}
	say("stats 1 bytes_size speed eta")
	say("stats 1 bytes_size progress speed eta --raw")
	say("help")
	say("quit")
	require.NoError(t, feed.Close())
	select {
	case c := <-code:
		require.Equal(t, exitOK, c, errw.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not quit")
	}
	requireFiles(t, x, fx.files)
	require.Equal(t, x, recordSavePath(t, y, fx.ih), "the record is in --state-dir and names --dir")
	stdout := out.String()
	require.Contains(t, stdout, "bytes_size   185.5 KiB\n")
	require.Regexp(t, `speed        ↓ [0-9.]+ [KMG]?i?B/s ↑ [0-9.]+ [KMG]?i?B/s\n`, stdout)
	require.Contains(t, stdout, "eta          0s\n")
	require.Contains(t, stdout, "bytes_size   190000\n", "--raw gives exact numbers")
	require.Contains(t, stdout, "progress     1\n")
	require.Contains(t, stdout, "eta          0\n")
	require.Regexp(t, `speed        \{"download":[0-9.e+-]+,"upload":[0-9.e+-]+\}\n`, stdout)
	require.Contains(t, stdout, "  -state-dir string\n", "help lists the flags")
	require.Contains(t, stdout, "  -no-dht\n")
	require.Contains(t, stdout, "this loop was started with: --dir "+x)
	require.Contains(t, stdout, "--no-dht=true")
	require.Empty(t, errw.String())
}

func TestLoopFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--frob"}, "flag provided but not defined: -frob"},
		{[]string{"--no-dht", "--stun", "none", "download", "x.torrent"}, `unknown command "download"`},
		{[]string{"--encryption", "maybe"}, "--encryption"},
		{[]string{"--peer", "10.0.0.1"}, "--peer"},
	} {
		code, _, stderr := runCLI(t, "quit\n", tc.args...)
		require.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.msg)
		require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	}
}

func TestHumanStat(t *testing.T) {
	for _, tc := range []struct {
		field string
		v     any
		want  string
	}{
		{"speed", braid.Speed{Download: 1628984.445846672}, "↓ 1.6 MiB/s ↑ 0 B/s"},
		{"bytes_size", int64(3 << 30), "3.0 GiB"},
		{"downloaded", int64(1536), "1.5 KiB"},
		{"left", int64(0), "0 B"},
		{"progress", 0.4567, "45.7%"},
		{"progress", 1.0, "100.0%"},
		{"eta", 80.4, "1m20s"},
		{"eta", 7500.0, "2h5m0s"},
		{"eta", -1.0, "unknown"},
		{"eta", 0.0, "0s"},
		{"ratio", 1.5, "1.50"},
		{"name", "photos", "photos"},
		{"error", "", "-"},
		{"pieces", braid.Pieces{Have: 3, Total: 10}, "3 of 10"},
		{"peers", 4, "4"},
		{"peers_by_transport", map[string]int{"utp": 1, "tcp": 2}, "tcp 2, utp 1"},
		{"trackers", []braid.TrackerInfo{{URL: "udp://t.example:6969", Error: "timeout"}}, "udp://t.example:6969 (error: timeout)"},
		{"trackers", []braid.TrackerInfo{{URL: "http://t.example/announce", LastScrape: time.Unix(1, 0), ScrapeSeeders: 3, ScrapeLeechers: 1, ScrapeDownloaded: 7}},
			"http://t.example/announce (not yet answered; scrape: 3 seeders, 1 leechers, 7 completed)"},
	} {
		require.Equal(t, tc.want, humanStat(tc.field, tc.v), "%s %v", tc.field, tc.v)
	}
}

// The loop finds a hybrid by a prefix of its v1 hash or of its 64-hex v2
// hash (libtorrent-hybrid.torrent's, as libtorrent reports them).
func TestPickTorrentByV2Hash(t *testing.T) {
	c, err := braid.New(braid.Config{DataDir: t.TempDir(), StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0",
		NoDHT: true, NoPortMapping: true, NoWebRTC: true})
	require.NoError(t, err)
	defer c.Close()
	tor, err := c.Download(context.Background(), filepath.Join("..", "..", "testdata", "torrents", "libtorrent-hybrid.torrent"))
	require.NoError(t, err)
	for _, arg := range []string{"75afb1f476a1", "98b6c0166d74eb315d1dafef6acd468c19aed990d4b66887aee10a3befcf04df", "98B6C016"} {
		ih, err := pickTorrent(c, []string{arg})
		require.NoError(t, err, arg)
		require.Equal(t, tor.InfoHash(), ih, arg)
	}
	_, err = pickTorrent(c, []string{"0123"})
	require.ErrorIs(t, err, braid.ErrTorrentNotFound)
}
