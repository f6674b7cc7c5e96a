// Command smallfiles writes a deterministic tree of many small files for
// the benchmark's many-small-files scenario: n files of 1 B up to max bytes
// each, in nested folders (one to three levels), with random content. The
// same flags give the same tree, byte for byte.
//
//	go run ./bench/smallfiles -n 4000 -max 49152 -seed 1 DIR
//
// It prints one JSON object: {"files":N,"bytes":B}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 4000, "number of files")
	maxSize := flag.Int("max", 48<<10, "largest file in bytes (the smallest is 1 byte)")
	seed := flag.Uint64("seed", 1, "seed of sizes, names and content")
	flag.Parse()
	if flag.NArg() != 1 || *n <= 0 || *maxSize <= 0 {
		fmt.Fprintln(os.Stderr, "usage: smallfiles [-n FILES] [-max BYTES] [-seed N] DIR")
		os.Exit(2)
	}
	total, err := generate(flag.Arg(0), *n, *maxSize, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smallfiles:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]int64{"files": int64(*n), "bytes": total})
	fmt.Println(string(out))
}

func generate(root string, n, maxSize int, seed uint64) (int64, error) {
	r := rand.New(rand.NewPCG(seed, 0x5a11f11e5))
	buf := make([]byte, maxSize)
	var total int64
	for i := range n {
		// Folders a/b/c of 8, 6 and 4 names: up to 192 leaf folders.
		var dir []string
		for d, width := range []int{8, 6, 4}[:1+r.IntN(3)] {
			dir = append(dir, fmt.Sprintf("d%d%c", d, 'a'+r.IntN(width)))
		}
		size := 1 + r.IntN(maxSize)
		for j := 0; j < size; j += 8 {
			v := r.Uint64()
			for k := 0; k < 8 && j+k < size; k++ {
				buf[j+k] = byte(v >> (8 * k))
			}
		}
		p := filepath.Join(append(append([]string{root}, dir...), fmt.Sprintf("f%05d.bin", i))...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(p, buf[:size], 0o644); err != nil {
			return 0, err
		}
		total += int64(size)
	}
	return total, nil
}
