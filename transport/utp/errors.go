//go:build !js

package utp

import "errors"

// ErrUnavailable: this build has no uTP (it needs cgo).
var ErrUnavailable = errors.New("utp: not in this build (it needs cgo)")
