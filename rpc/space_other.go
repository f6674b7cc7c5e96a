//go:build !unix

package rpc

import "errors"

// diskSpace is not implemented on this system.
func diskSpace(string) (free, total int64, err error) {
	return -1, -1, errors.New("free space is not known on this system")
}
