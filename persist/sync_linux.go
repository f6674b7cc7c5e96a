package persist

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncByFilesystem is true where one call flushes a whole filesystem:
// Sync then issues one syncfs per filesystem holding files written since
// the last Sync, instead of one fsync per file.
const syncByFilesystem = true

// syncFS flushes the filesystem holding f: every file on it, data and
// metadata, and reports write-back errors (Linux 5.8 and later).
func syncFS(f *os.File) error {
	for {
		err := unix.Syncfs(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &fs.PathError{Op: "syncfs", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// deviceOf is the filesystem a file lives on, from its stat.
func deviceOf(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true
}
