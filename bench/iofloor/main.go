//go:build !js

// Command iofloor measures the least CPU a leecher can spend on this
// machine to receive a torrent's bytes over loopback TCP, store them and
// check them: a receiver with none of BitTorrent's work (no messages, no
// requests, no picker), reading whole pieces with large reads, writing each
// with one pwrite and hashing it with crypto/sha1. A child process sends.
// Each row adds one step, so the kernel's share (socket copy, page cache)
// is told apart from hashing:
//
//	recv              read the bytes from the socket only
//	recv+write        and pwrite every piece to a file
//	recv+write+sha1   and SHA-1 every piece (what a v1 leecher must do)
//
//	go run ./bench/iofloor -size 1073741824 -piece 1048576 -dir DIR
//
// It prints one JSON object per line: {"steps":S,"bytes":N,"seconds":W,
// "user":U,"sys":K,"cpu":U+K} with the receiver's own CPU seconds
// (getrusage of this process, the sender excluded).
package main

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

type result struct {
	Steps   string  `json:"steps"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	User    float64 `json:"user"`
	Sys     float64 `json:"sys"`
	CPU     float64 `json:"cpu"`
}

func main() {
	senderChild()
	size := flag.Int64("size", 1<<30, "bytes to move")
	piece := flag.Int("piece", 1<<20, "piece length in bytes")
	dir := flag.String("dir", os.TempDir(), "where the received file is written (removed after)")
	flag.Parse()
	if *size <= 0 || *piece <= 0 || *piece > 64<<20 {
		fmt.Fprintln(os.Stderr, "usage: iofloor [-size BYTES] [-piece BYTES ≤ 64 MiB] [-dir DIR]")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, steps := range []string{"recv", "recv+write", "recv+write+sha1"} {
		r, err := receive(steps, *size, *piece, *dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "iofloor: %s: %v\n", steps, err)
			os.Exit(1)
		}
		_ = enc.Encode(r)
	}
}

// senderChild runs the sending side when this process was started as the
// child of receive (the environment names the address), then exits.
func senderChild() {
	addr := os.Getenv("IOFLOOR_SEND")
	if addr == "" {
		return
	}
	size, err := strconv.ParseInt(os.Getenv("IOFLOOR_SIZE"), 10, 64)
	if err == nil {
		err = sender(addr, size)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "iofloor: send:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// sender writes size bytes of a repeating pattern in 1 MiB writes.
func sender(addr string, size int64) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 31)
	}
	for size > 0 {
		n := int64(len(buf))
		if size < n {
			n = size
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return err
		}
		size -= n
	}
	return nil
}

func receive(steps string, size int64, piece int, dir string) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), "IOFLOOR_SEND="+ln.Addr().String(), "IOFLOOR_SIZE="+strconv.FormatInt(size, 10))
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = child.Wait() }()
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		return result{}, err
	}
	defer c.Close()

	var f *os.File
	if steps != "recv" {
		f, err = os.CreateTemp(dir, "iofloor-*")
		if err != nil {
			return result{}, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
	}
	before, err := usage()
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	buf := make([]byte, piece)
	var off int64
	for off < size {
		n := int64(piece)
		if size-off < n {
			n = size - off
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return result{}, fmt.Errorf("at %d: %w", off, err)
		}
		if f != nil {
			if _, err := f.WriteAt(buf[:n], off); err != nil {
				return result{}, err
			}
		}
		if steps == "recv+write+sha1" {
			_ = sha1.Sum(buf[:n]) // the check's cost; the digest itself is not needed
		}
		off += n
	}
	wall := time.Since(start)
	after, err := usage()
	if err != nil {
		return result{}, err
	}
	u := after.user - before.user
	s := after.sys - before.sys
	if f != nil {
		if fi, err := f.Stat(); err != nil || fi.Size() != size {
			return result{}, errors.New("the file is not the size sent")
		}
	}
	return result{Steps: steps, Bytes: size, Seconds: wall.Seconds(), User: u, Sys: s, CPU: u + s}, nil
}

type cpu struct{ user, sys float64 }

func usage() (cpu, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpu{}, err
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return cpu{tv(ru.Utime), tv(ru.Stime)}, nil
}
