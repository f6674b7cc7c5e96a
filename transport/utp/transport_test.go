//go:build !js

package utp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAddresses(t *testing.T) {
	for in, want := range map[string]string{"utp://10.0.0.1:6881": "10.0.0.1:6881", "UTP://[::1]:7": "[::1]:7"} {
		hp, ok := SplitAddr(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, hp)
	}
	for _, other := range []string{"10.0.0.1:6881", "ws://h/", "utp:/x"} {
		hp, ok := SplitAddr(other)
		assert.False(t, ok, other)
		assert.Equal(t, other, hp)
	}
	assert.Equal(t, "utp://10.0.0.1:6881", Addr("10.0.0.1:6881"))

	var s *Socket
	hp, ok := s.DialAddr("uTP://10.0.0.1:6881")
	assert.True(t, ok)
	assert.Equal(t, "10.0.0.1:6881", hp)
	_, ok = s.DialAddr("10.0.0.1:6881")
	assert.False(t, ok, "a bare host:port is TCP's")
	tr := s.Traits()
	assert.True(t, tr.MSE && tr.MSEFirst && tr.PEXUTP)
	assert.Equal(t, ConnectTimeout, tr.ConnectTimeout)
	assert.Equal(t, Name, s.Name())
}
