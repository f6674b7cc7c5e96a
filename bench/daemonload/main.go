//go:build !js

// Command daemonload writes the torrents of the benchmark's daemon
// scenario (bench/daemon.py): many small single-file torrents of three
// kinds, each kind's .torrent files in its own folder.
//
//	seed   the data is written to DIR/data: a daemon given it seeds at once
//	local  the data is written to DIR/seeder: a local seeder serves it and
//	       the daemon downloads it
//	none   the data is thrown away: nobody has it, the daemon waits
//
// File sizes are spread from -min to -max bytes (16 KiB pieces), the same
// bytes every time for the same flags.
//
//	go run ./bench/daemonload -dir /tmp/d -seed 1900 -local 50 -none 50
//
// It prints one JSON object: {"seed":N,"local":N,"none":N,"bytes":B,"seconds":S}.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
)

type counts struct {
	Seed    int     `json:"seed"`
	Local   int     `json:"local"`
	None    int     `json:"none"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

func main() {
	var c counts
	dir := flag.String("dir", "", "work directory (required)")
	flag.IntVar(&c.Seed, "seed", 1900, "torrents whose data is in DIR/data")
	flag.IntVar(&c.Local, "local", 50, "torrents whose data only the local seeder has (DIR/seeder)")
	flag.IntVar(&c.None, "none", 50, "torrents whose data nobody has")
	lo := flag.Int("min", 16<<10, "smallest file in bytes")
	hi := flag.Int("max", 128<<10, "largest file in bytes")
	flag.Parse()
	if *dir == "" || c.Seed < 0 || c.Local < 0 || c.None < 0 || c.Seed+c.Local+c.None > 100000 ||
		*lo < 1 || *hi < *lo || *hi > 16<<20 {
		fmt.Fprintln(os.Stderr, "usage: daemonload -dir DIR [-seed N] [-local N] [-none N] [-min BYTES] [-max BYTES]")
		os.Exit(2)
	}
	start := time.Now()
	n, err := write(*dir, c, *lo, *hi)
	if err != nil {
		fmt.Fprintln(os.Stderr, "daemonload:", err)
		os.Exit(1)
	}
	c.Bytes, c.Seconds = n, time.Since(start).Seconds()
	_ = json.NewEncoder(os.Stdout).Encode(c)
}

// write makes every torrent and the data its kind keeps; it returns the
// bytes of all the torrents' files.
func write(dir string, c counts, lo, hi int) (int64, error) {
	kinds := []struct {
		name, data string
		n          int
	}{{"seed", "data", c.Seed}, {"local", "seeder", c.Local}, {"none", "", c.None}}
	rng := rand.New(rand.NewPCG(uint64(c.Seed), uint64(c.Local)<<32|uint64(c.None)))
	buf := make([]byte, hi)
	var total int64
	for _, k := range kinds {
		tdir := filepath.Join(dir, "torrents", k.name)
		if err := os.MkdirAll(tdir, 0o755); err != nil {
			return 0, err
		}
		if k.data != "" {
			if err := os.MkdirAll(filepath.Join(dir, k.data), 0o755); err != nil {
				return 0, err
			}
		}
		for i := range k.n {
			size := lo + rng.IntN(hi-lo+1)
			b := buf[:size]
			for j := 0; j < size; j += 8 {
				v := rng.Uint64()
				for x := 0; x < 8 && j+x < size; x++ {
					b[j+x] = byte(v >> (8 * x))
				}
			}
			name := fmt.Sprintf("%s%05d.bin", k.name, i)
			if k.data != "" {
				if err := os.WriteFile(filepath.Join(dir, k.data, name), b, 0o644); err != nil {
					return 0, err
				}
			}
			mi, err := metainfo.Create(metainfo.CreateOptions{Name: name, SingleFile: true, PieceLength: 16 << 10,
				Files: []metainfo.FileSpec{{Path: []string{name}, Length: int64(size)}}}, bytes.NewReader(b))
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			if err := os.WriteFile(filepath.Join(tdir, name+".torrent"), mi, 0o644); err != nil {
				return 0, err
			}
			total += int64(size)
		}
	}
	return total, nil
}
