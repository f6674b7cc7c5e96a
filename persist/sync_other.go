//go:build !linux && !js

package persist

import (
	"io/fs"
	"os"
)

// syncByFilesystem is false where no portable call flushes one
// filesystem: Sync fsyncs each file written since the last Sync.
const syncByFilesystem = false

// syncFS is never used where syncByFilesystem is false.
func syncFS(f *os.File) error { return f.Sync() }

func deviceOf(fs.FileInfo) (uint64, bool) { return 0, false }
