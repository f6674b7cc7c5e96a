// Package atomicfile replaces a file's content so that a crash or power loss
// at any moment leaves either the old content or the new, never a torn file.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TempInfix follows a file's name in the names of its temp files:
// <name>.tmp-<random>, in the same directory.
const TempInfix = ".tmp-"

// rename is os.Rename; tests replace it to fail on purpose.
var rename = os.Rename

// Write replaces path with data: it writes a temp file in the same
// directory, fsyncs it, gives it mode perm (exactly: the umask does not
// apply), renames it over path and fsyncs the directory. The rename
// replaces an existing file on Windows too. On failure the temp file is
// removed and path keeps its previous content.
//
// Callers that may write the same path at once must serialise their Writes
// themselves, as RemoveTemps must not run beside a Write of the same path.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+TempInfix+"*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := rename(tmpName, path); err != nil {
		return err
	}
	renamed = true
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// RemoveTemps deletes the temp files a Write of path interrupted by a crash
// left beside it. Errors are ignored: a leftover temp file is only debris.
func RemoveTemps(path string) {
	dir, prefix := filepath.Dir(path), filepath.Base(path)+TempInfix
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
