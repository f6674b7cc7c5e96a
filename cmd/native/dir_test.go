//go:build !js

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer that a running command may write while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a command started by startCLI.
type running struct {
	out, err *syncBuffer
	stop     context.CancelFunc // as Ctrl-C would
	code     chan int
	restore  func()
}

// startCLI runs a command that runs until interrupted (seed, say); stop
// plays the part of Ctrl-C.
func startCLI(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := interruptContext
	interruptContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	r := &running{out: &syncBuffer{}, err: &syncBuffer{}, stop: cancel, code: make(chan int, 1),
		restore: func() { interruptContext = old }}
	t.Cleanup(r.restore)
	go func() { r.code <- run(args, strings.NewReader(""), r.out, r.err) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(20 * time.Second):
		}
	})
	return r
}

// wait stops the command and returns its exit code.
func (r *running) wait(t *testing.T) int {
	t.Helper()
	r.stop()
	defer r.restore()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("the command did not stop")
		return -1
	}
}

// dirFixture is a torrent of one folder, "share", with two files.
type dirFixture struct {
	torrent string
	ih      [20]byte
	src     string // parent of share
	files   map[string][]byte
}

func makeDirFixture(t *testing.T) dirFixture {
	t.Helper()
	dir := t.TempDir()
	fx := dirFixture{torrent: filepath.Join(dir, "share.torrent"), src: filepath.Join(dir, "src"), files: map[string][]byte{
		filepath.Join("share", "a.bin"):        bytes.Repeat([]byte("abcdefg"), 20_000),
		filepath.Join("share", "sub", "b.bin"): bytes.Repeat([]byte{9}, 50_000),
	}}
	writeFiles(t, fx.src, fx.files)
	code, _, stderr := runCLI(t, "", "create", "-o", fx.torrent, "--piece-length", "16KiB", filepath.Join(fx.src, "share"))
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(fx.torrent)
	require.NoError(t, err)
	mi, err := metainfo.Parse(data)
	require.NoError(t, err)
	fx.ih = mi.InfoHash
	return fx
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
}

func requireFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		require.NoError(t, err, rel)
		require.True(t, bytes.Equal(want, got), "%s differs", rel)
	}
}

// modTimes records the modification time of every file under dir.
func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			out[p] = fi.ModTime()
		}
		return err
	}))
	return out
}

func recordSavePath(t *testing.T, stateDir string, ih [20]byte) string {
	t.Helper()
	st, err := persist.NewFileStateStore(stateDir)
	require.NoError(t, err)
	rec, err := st.Load(ih)
	require.NoError(t, err)
	return rec.SavePath
}

var localFlags = []string{"--no-dht", "--stun", "none", "--no-webrtc", "--no-port-mapping", "--listen", "127.0.0.1:0"}

// A --dir the user types is where the data goes, even when the torrent's
// resume record names another place; without --dir the record's place is
// kept, and said.
func TestDirBeatsResumeRecord(t *testing.T) {
	fx := makeDirFixture(t)
	root := t.TempDir()
	a, b, empty, state := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "empty"), filepath.Join(root, "state")
	writeFiles(t, a, fx.files)
	require.NoError(t, os.MkdirAll(empty, 0o755))
	local := append(localFlags, "--state-dir", state)

	// Seed from A: a record naming A.
	seed := startCLI(t, append(append([]string{"seed"}, local...), "--dir", a, fx.torrent)...)
	require.Eventually(t, func() bool { return strings.Contains(seed.out.String(), "seeding;") }, 20*time.Second, 20*time.Millisecond,
		"stdout %q stderr %q", seed.out.String(), seed.err.String())
	require.Equal(t, exitOK, seed.wait(t), seed.err.String())
	require.Equal(t, a, recordSavePath(t, state, fx.ih))
	aTimes := modTimes(t, a)

	// Without --dir the record's place is kept, and the CLI says so.
	code, stdout, stderr := runCLI(t, "", append(append([]string{"download"}, local...), fx.torrent)...)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "data in "+a+" (from the resume record")
	require.Contains(t, stdout, "complete (BitTorrent v1), 0 B fetched")

	// With --dir B, B gets the data from a seeder; A is left alone.
	seeder := startSeeder(t, fx, root)
	code, stdout, stderr = runCLI(t, "", append(append([]string{"download"}, local...), "--dir", b, "--peer", seeder.ListenAddr(), fx.torrent)...)
	require.Equal(t, exitOK, code, stderr)
	require.NotContains(t, stdout, "0 B fetched")
	require.NotContains(t, stdout, "from the resume record")
	requireFiles(t, b, fx.files)
	requireFiles(t, a, fx.files)
	require.Equal(t, aTimes, modTimes(t, a), "A untouched")
	require.Equal(t, b, recordSavePath(t, state, fx.ih), "the record names the new place")

	// seed --dir EMPTY does not seed from B, where the record points.
	seed = startCLI(t, append(append([]string{"seed"}, local...), "--dir", empty, fx.torrent)...)
	require.Eventually(t, func() bool { return strings.Contains(seed.err.String(), "missing or damaged") }, 20*time.Second, 20*time.Millisecond,
		"stdout %q stderr %q", seed.out.String(), seed.err.String())
	require.Equal(t, exitOK, seed.wait(t), seed.err.String())
	require.NotContains(t, seed.out.String(), "seeding;")
	require.NotContains(t, seed.out.String(), "complete")
	require.Equal(t, empty, recordSavePath(t, state, fx.ih))
}

// startSeeder seeds the fixture from its source folder over loopback.
func startSeeder(t *testing.T, fx dirFixture, root string) *braid.Client {
	t.Helper()
	seeder, err := braid.New(braid.Config{DataDir: fx.src, StateDir: filepath.Join(root, "seeder-state"),
		ListenAddr: "127.0.0.1:0", NoDHT: true, NoWebRTC: true, NoPortMapping: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = seeder.Close() })
	st, err := seeder.Download(context.Background(), fx.torrent)
	require.NoError(t, err)
	select {
	case <-st.Completed():
	case <-time.After(20 * time.Second):
		t.Fatal("the seeder did not verify its data")
	}
	return seeder
}
