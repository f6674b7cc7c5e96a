//go:build !js

package main

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoLSDFlag: --no-lsd among the client flags turns Local Service
// Discovery off; without it, it stays on.
func TestNoLSDFlag(t *testing.T) {
	for args, want := range map[string]bool{"": false, "--no-lsd": true} {
		var f clientFlags
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f.register(fs)
		argv := []string{"--stun", "none"}
		if args != "" {
			argv = append(argv, args)
		}
		require.NoError(t, fs.Parse(argv))
		cfg, err := f.config("t", io.Discard)
		require.NoError(t, err)
		assert.Equal(t, want, cfg.NoLSD, args)
	}
}
