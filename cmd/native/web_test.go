//go:build !js

package main

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlainHTTPNote(t *testing.T) {
	for _, tc := range []struct {
		addr string
		note bool
	}{
		{"127.0.0.1:8080", false},
		{"[::1]:8080", false},
		{"0.0.0.0:8080", true},
		{"[::]:8080", true},
		{"192.168.1.5:8080", true},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		require.NoError(t, err)
		note := plainHTTPNote(a)
		if tc.note {
			require.Contains(t, note, "not a secure context", tc.addr)
		} else {
			require.Empty(t, note, tc.addr)
		}
	}
}
