// Command sha1limit measures the hashing ceiling for verifying a torrent's
// data: it hashes a file piece by piece, once on one core and once on every
// core, the way a resume check would. Braid's verify time is judged against
// the all-cores figure.
//
// With -algo sha1 (the default) each piece is one crypto/sha1 sum, as a v1
// torrent's. With -algo sha256 each piece is hashed as a BitTorrent v2
// (BEP 52) piece layer entry: crypto/sha256 of every 16 KiB block, then the
// Merkle tree over the piece's blocks up to its root (zero hashes pad the
// last piece's leaves to the piece's power of two).
//
//	go run ./bench/sha1limit -piece 1048576 [-algo sha256] FILE
//
// It prints one JSON object per line: {"algo":A,"workers":N,"seconds":S,"mbps":M}.
package main

import (
	"crypto/sha1"
	"crypto/sha256"
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
	algo := flag.String("algo", "sha1", "sha1 (v1 pieces) or sha256 (v2 Merkle pieces of 16 KiB blocks)")
	flag.Parse()
	hash, ok := map[string]func([]byte, int64){"sha1": hashV1, "sha256": hashV2}[*algo]
	if flag.NArg() != 1 || !ok || *piece <= 0 || *piece > 64<<20 ||
		(*algo == "sha256" && (*piece < blockSize || *piece&(*piece-1) != 0)) {
		fmt.Fprintln(os.Stderr, "usage: sha1limit [-piece BYTES] [-algo sha1|sha256] FILE (sha256: a power of two ≥ 16 KiB)")
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
		took, err := hashAll(f, st.Size(), *piece, workers, hash)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sha1limit:", err)
			os.Exit(1)
		}
		_ = enc.Encode(map[string]any{"algo": *algo, "workers": workers, "seconds": took.Seconds(),
			"mbps": float64(st.Size()) / took.Seconds() / 1e6})
	}
}

// hashAll hashes every piece of f with workers goroutines, each reading its
// pieces with ReadAt into its own buffer.
func hashAll(f *os.File, size, piece int64, workers int, hash func([]byte, int64)) (time.Duration, error) {
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
				hash(b, piece)
			}
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// blockSize is BEP 52's Merkle leaf: 16 KiB.
const blockSize = 16 << 10

// hashV1 is a v1 piece's hash.
func hashV1(b []byte, _ int64) { sha1.Sum(b) }

// hashV2 hashes a v2 piece up to its root.
func hashV2(b []byte, piece int64) { pieceRoot(b, piece) }

// pieceRoot is a v2 piece's root: SHA-256 leaves of its 16 KiB blocks (the
// last one as long as the data), zero hashes up to piece/16 KiB leaves,
// then pairs hashed up to one.
func pieceRoot(b []byte, piece int64) [sha256.Size]byte {
	leaves := make([][sha256.Size]byte, piece/blockSize)
	for i := 0; i*blockSize < len(b); i++ {
		leaves[i] = sha256.Sum256(b[i*blockSize : min(len(b), (i+1)*blockSize)])
	}
	var pair [2 * sha256.Size]byte
	for n := len(leaves); n > 1; n /= 2 {
		for i := 0; i < n; i += 2 {
			copy(pair[:], leaves[i][:])
			copy(pair[sha256.Size:], leaves[i+1][:])
			leaves[i/2] = sha256.Sum256(pair[:])
		}
	}
	return leaves[0]
}
