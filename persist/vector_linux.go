package persist

import (
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// writev writes iov at off in f with pwritev, again after a short write.
func writev(f *os.File, iov [][]byte, off int64) (int, error) {
	return vectored(f, iov, off, unix.Pwritev, "pwritev")
}

// readv fills iov from off in f with preadv; fewer bytes and a nil error
// mean the file ended.
func readv(f *os.File, iov [][]byte, off int64) (int, error) {
	n, err := vectored(f, iov, off, unix.Preadv, "preadv")
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func vectored(f *os.File, iov [][]byte, off int64, call func(int, [][]byte, int64) (int, error), op string) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	done := 0
	var callErr error
	ctlErr := rc.Control(func(fd uintptr) {
		for len(iov) > 0 {
			m, err := call(int(fd), iov, off)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				callErr = &os.PathError{Op: op, Path: f.Name(), Err: err}
				return
			}
			if m == 0 {
				callErr = io.EOF
				return
			}
			done += m
			off += int64(m)
			for m > 0 && len(iov) > 0 {
				if m >= len(iov[0]) {
					m -= len(iov[0])
					iov = iov[1:]
					continue
				}
				iov[0] = iov[0][m:]
				m = 0
			}
		}
	})
	if ctlErr != nil {
		return done, ctlErr
	}
	return done, callErr
}
