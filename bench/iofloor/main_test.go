//go:build !js

package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	senderChild() // receive starts this test binary again as its sender
	os.Exit(m.Run())
}

func TestReceiveEverySteps(t *testing.T) {
	const size = 3<<20 + 12345 // a short last piece
	for _, steps := range []string{"recv", "recv+write", "recv+write+sha1"} {
		dir := t.TempDir()
		r, err := receive(steps, size, 1<<20, dir)
		require.NoError(t, err, steps)
		assert.Equal(t, steps, r.Steps)
		assert.Equal(t, int64(size), r.Bytes)
		assert.Greater(t, r.Seconds, 0.0)
		assert.InDelta(t, r.User+r.Sys, r.CPU, 1e-9)
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, left, "the received file is removed")
	}
}
