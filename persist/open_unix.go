//go:build unix

package persist

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openFile opens a data file as a plain blocking descriptor. os.OpenFile
// would try to add a regular file to the network poller, which costs two
// to four fcntl calls and a failing epoll_ctl per open; os.NewFile costs
// one fcntl.
func openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
