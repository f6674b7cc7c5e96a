// Command sha1limit measures the SHA-1 ceiling for verifying a torrent's
// data: it hashes a file piece by piece with crypto/sha1, once on one core
// and once on every core, the way a resume check would. Braid's verify time
// is judged against the all-cores figure.
//
//	go run ./bench/sha1limit -piece 1048576 FILE
//
// It prints one JSON object per line: {"workers":N,"seconds":S,"mbps":M}.
package main

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	piece := flag.Int64("piece", 1<<20, "piece length in bytes")
	flag.Parse()
	if flag.NArg() != 1 || *piece <= 0 || *piece > 64<<20 {
		fmt.Fprintln(os.Stderr, "usage: sha1limit [-piece BYTES] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sha1limit:", err)
		os.Exit(1)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sha1limit:", err)
		os.Exit(1)
	}
	counts := []int{1}
	if n := runtime.NumCPU(); n > 1 {
		counts = append(counts, n)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, workers := range counts {
		took, err := hashAll(f, st.Size(), *piece, workers)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sha1limit:", err)
			os.Exit(1)
		}
		_ = enc.Encode(map[string]any{"workers": workers, "seconds": took.Seconds(),
			"mbps": float64(st.Size()) / took.Seconds() / 1e6})
	}
}

// hashAll hashes every piece of f with workers goroutines, each reading its
// pieces with ReadAt into its own buffer.
func hashAll(f *os.File, size, piece int64, workers int) (time.Duration, error) {
	n := (size + piece - 1) / piece
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, piece)
			for {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				b := buf[:min(piece, size-i*piece)]
				if _, err := f.ReadAt(b, i*piece); err != nil && !errors.Is(err, io.EOF) {
					errs[w] = fmt.Errorf("piece %d: %w", i, err)
					return
				}
				sha1.Sum(b)
			}
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}
