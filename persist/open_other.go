//go:build !unix && !js

package persist

import (
	"io/fs"
	"os"
)

// openFile opens a data file.
func openFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
