//go:build !linux && !js

package persist

import (
	"io"
	"os"
)

// writev writes iov at off in f, one buffer after another.
func writev(f *os.File, iov [][]byte, off int64) (int, error) {
	done := 0
	for _, b := range iov {
		m, err := f.WriteAt(b, off)
		done += m
		off += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// readv fills iov from off in f; fewer bytes and a nil error mean the file
// ended.
func readv(f *os.File, iov [][]byte, off int64) (int, error) {
	done := 0
	for _, b := range iov {
		m, err := f.ReadAt(b, off)
		done += m
		off += int64(m)
		if err == io.EOF {
			return done, nil
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
