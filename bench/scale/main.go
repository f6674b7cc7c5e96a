//go:build !js

// Command scale measures what many idle torrents cost one Braid client:
// it seeds N small single-file torrents (no trackers, no DHT, listening on
// loopback only), then reports resident memory, goroutines, heap and the
// CPU used over an idle window; finally it removes and re-adds torrents in
// cycles (churn) and reports whether goroutines and heap return to their
// baseline. It drives the public API in-process because the CLI's
// multi-torrent mode (the interactive loop) cannot turn the DHT off.
//
//	go run ./bench/scale -n 1000 -idle 60s -dir /tmp/scale
//
// The result is one JSON object on stdout. The exit status is 1 when a
// torrent fails to start seeding, 0 otherwise (a leak is reported, not fatal).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
)

type result struct {
	Torrents        int     `json:"torrents"`
	FileBytes       int     `json:"file_bytes"`
	AddSeconds      float64 `json:"add_seconds"`
	SavedSeconds    float64 `json:"saved_seconds"`
	IdleSeconds     float64 `json:"idle_seconds"`
	IdleCPUSeconds  float64 `json:"idle_cpu_seconds"`
	IdleCPUPercent  float64 `json:"idle_cpu_percent"`
	RSSMiB          float64 `json:"rss_mib"`
	PeakRSSMiB      float64 `json:"peak_rss_mib"`
	Goroutines      int     `json:"goroutines"`
	HeapMiB         float64 `json:"heap_mib"`
	ChurnCycles     int     `json:"churn_cycles"`
	ChurnPerCycle   int     `json:"churn_per_cycle"`
	ChurnSeconds    float64 `json:"churn_seconds"`
	GoroutinesAfter int     `json:"goroutines_after_churn"`
	HeapAfterMiB    float64 `json:"heap_after_churn_mib"`
	RSSAfterMiB     float64 `json:"rss_after_churn_mib"`
}

func main() {
	n := flag.Int("n", 1000, "number of torrents")
	size := flag.Int("size", 64<<10, "bytes per torrent (one file, 16 KiB pieces)")
	idle := flag.Duration("idle", 60*time.Second, "idle window to measure CPU over")
	cycles := flag.Int("cycles", 3, "churn cycles")
	churn := flag.Int("churn", 100, "torrents removed and re-added per churn cycle")
	dir := flag.String("dir", "", "work directory (required)")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on each phase")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the idle window to `FILE` (go tool pprof)")
	flag.Parse()
	if *dir == "" || *n < 1 || *n > 100000 || *size < 1 || *size > 64<<20 {
		fmt.Fprintln(os.Stderr, "usage: scale -dir DIR [-n N] [-size BYTES] [-idle D] [-cycles C] [-churn K]")
		os.Exit(2)
	}
	res, err := run(*dir, *n, *size, *idle, *cycles, min(*churn, *n), *timeout, *cpuprofile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func run(dir string, n, size int, idle time.Duration, cycles, churn int, timeout time.Duration, cpuprofile string) (*result, error) {
	paths, err := makeTorrents(dir, n, size)
	if err != nil {
		return nil, err
	}
	c, err := braid.New(braid.Config{DataDir: filepath.Join(dir, "data"), StateDir: filepath.Join(dir, "state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res := &result{Torrents: n, FileBytes: size, ChurnCycles: cycles, ChurnPerCycle: churn}

	start := time.Now()
	ts, err := addAll(c, paths, timeout)
	if err != nil {
		return nil, err
	}
	res.AddSeconds = time.Since(start).Seconds()
	// A torrent reports complete before it writes its first resume record;
	// the idle window starts once every record is on disk, so start-up
	// saves are not counted as idle work.
	if err := waitRecords(filepath.Join(dir, "state"), n, timeout); err != nil {
		return nil, err
	}
	res.SavedSeconds = time.Since(start).Seconds()

	settle()
	res.Goroutines, res.HeapMiB = goroutinesHeap()
	stopProfile, err := startProfile(cpuprofile)
	if err != nil {
		return nil, err
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	time.Sleep(idle)
	res.IdleSeconds = time.Since(t0).Seconds()
	res.IdleCPUSeconds = cpuSeconds() - cpu0
	stopProfile()
	res.IdleCPUPercent = 100 * res.IdleCPUSeconds / res.IdleSeconds
	res.RSSMiB, res.PeakRSSMiB = memory()

	start = time.Now()
	for range cycles {
		for _, t := range ts[:churn] {
			if err := c.Remove(t.InfoHash()); err != nil {
				return nil, fmt.Errorf("churn: remove %s: %w", t.Name(), err)
			}
		}
		again, err := addAll(c, paths[:churn], timeout)
		if err != nil {
			return nil, fmt.Errorf("churn: %w", err)
		}
		copy(ts, again)
	}
	res.ChurnSeconds = time.Since(start).Seconds()
	// Stopped torrents' goroutines end asynchronously: give them a bounded
	// while to come back to the baseline before reading.
	deadline := time.Now().Add(10 * time.Second)
	for {
		settle()
		res.GoroutinesAfter, res.HeapAfterMiB = goroutinesHeap()
		if res.GoroutinesAfter <= res.Goroutines || time.Now().After(deadline) {
			break
		}
	}
	res.RSSAfterMiB, _ = memory()
	return res, nil
}

// makeTorrents writes n random files and a .torrent for each.
func makeTorrents(dir string, n, size int) ([]string, error) {
	data, tdir := filepath.Join(dir, "data"), filepath.Join(dir, "torrents")
	for _, d := range []string{data, tdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	buf := make([]byte, size)
	paths := make([]string, n)
	for i := range n {
		for j := 0; j < size; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < size; k++ {
				buf[j+k] = byte(v >> (8 * k))
			}
		}
		name := fmt.Sprintf("t%05d.bin", i)
		if err := os.WriteFile(filepath.Join(data, name), buf, 0o644); err != nil {
			return nil, err
		}
		mi, err := metainfo.Create(metainfo.CreateOptions{Name: name, SingleFile: true, PieceLength: 16 << 10,
			Files: []metainfo.FileSpec{{Path: []string{name}, Length: int64(size)}}}, bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		paths[i] = filepath.Join(tdir, name+".torrent")
		if err := os.WriteFile(paths[i], mi, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// addAll starts every torrent and waits, within timeout, until each has
// verified its data and is complete (seeding).
func addAll(c *braid.Client, paths []string, timeout time.Duration) ([]*braid.Torrent, error) {
	ts := make([]*braid.Torrent, len(paths))
	for i, p := range paths {
		t, err := c.Download(context.Background(), p)
		if err != nil {
			return nil, fmt.Errorf("add %s: %w", p, err)
		}
		ts[i] = t
	}
	deadline := time.After(timeout)
	for _, t := range ts {
		select {
		case <-t.Completed():
		case <-t.Stopped():
			return nil, fmt.Errorf("%s stopped: %w", t.Name(), t.Err())
		case <-deadline:
			return nil, errors.New("timed out waiting for torrents to seed")
		}
	}
	return ts, nil
}

// waitRecords waits, within timeout, until dir holds n resume records.
func waitRecords(dir string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := filepath.Glob(filepath.Join(dir, "*.resume"))
		if err != nil {
			return err
		}
		if len(m) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d resume records written after %s", len(m), n, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startProfile starts a CPU profile into path ("" profiles nothing) and
// returns the function that ends it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func settle() {
	time.Sleep(time.Second)
	runtime.GC()
	runtime.GC()
}

func goroutinesHeap() (int, float64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), float64(ms.HeapInuse) / (1 << 20)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// memory reads the current and peak resident set size from /proc.
func memory() (rss, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return rss, peak
}
