//go:build !js

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
)

func TestCreateProtocols(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "share")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "a"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a", "x"), bytes.Repeat([]byte("x"), 70_000), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a-b"), bytes.Repeat([]byte("b"), 40_000), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "empty"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	for _, p := range []string{"v1", "v2", "hybrid"} {
		t.Run(p, func(t *testing.T) {
			out := filepath.Join(dir, p+".torrent")
			code, stdout, stderr := runCLI(t, "", "create", "--protocol", p, "--piece-length", "32KiB", "-o", out, src)
			require.Equal(t, exitOK, code, stderr)
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			mi, err := metainfo.Parse(data)
			require.NoError(t, err)
			require.Equal(t, p != "v1", mi.Info.HasV2())
			require.Equal(t, p != "v2", mi.Info.HasV1())
			if p == "v1" {
				require.Equal(t, []string{"a-b"}, mi.Info.Files[0].Path, "v1 keeps its joined-path order")
				require.NotContains(t, string(mi.InfoBytes), "4:attr", "v1 has no attributes")
				require.NotContains(t, stdout, "v2 info hash")
				return
			}
			// File-tree order: the directory "a" before "a-b".
			require.Equal(t, []string{"a", "x"}, mi.Info.FilesV2[0].Path)
			require.Equal(t, []string{"a-b"}, mi.Info.FilesV2[1].Path)
			require.Contains(t, stdout, "v2 info hash")
			require.Contains(t, stdout, "("+p+")")
			require.Contains(t, string(mi.InfoBytes), "6:run.shd0:d4:attr1:x", "run.sh is executable")
		})
	}

	code, _, stderr := runCLI(t, "", "create", "--protocol", "v3", "-o", filepath.Join(dir, "x.torrent"), src)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--protocol")
	require.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	code, _, stderr = runCLI(t, "", "create", "--protocol", "hybrid", "--piece-length", "48KiB", "-o", filepath.Join(dir, "x.torrent"), src)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "power of two")
	require.Equal(t, 1, strings.Count(stderr, "\n"), stderr)

	code, stdout, _ := runCLI(t, "", "create", "-h")
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "v2 peers are not yet the norm")
}
