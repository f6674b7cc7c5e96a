//go:build unix

package rpc

import "syscall"

// diskSpace is the free space (for an unprivileged user) and the size of
// the file system holding path.
func diskSpace(path string) (free, total int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return -1, -1, err
	}
	bs := int64(st.Bsize) //nolint:unconvert // its type differs by system
	return int64(st.Bavail) * bs, int64(st.Blocks) * bs, nil
}
