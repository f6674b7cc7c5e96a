//go:build unix

package lsd

import "syscall"

// reuse lets every LSD node (and other clients) on the host bind the
// group's port: each of them then receives every announce.
func reuse(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
