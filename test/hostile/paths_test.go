package hostile

import (
	"context"
	"crypto/sha1"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/braid-bt/braid"
	"github.com/stretchr/testify/require"
)

// handFile is one file of a hand-written torrent.
type handFile struct {
	path   []string
	length int
}

// handTorrent bencodes a torrent by hand, bypassing every check of
// metainfo.Create: name and files as given (single-file when files is nil).
func handTorrent(t *testing.T, name string, length int, files []handFile) []byte {
	t.Helper()
	info := map[string]any{"name": name, "piece length": 16384}
	total := length
	if files != nil {
		total = 0
		var fl []map[string]any
		for _, f := range files {
			fl = append(fl, map[string]any{"length": f.length, "path": f.path})
			total += f.length
		}
		info["files"] = fl
	} else {
		info["length"] = length
	}
	var pieces []byte
	for i := 0; i < max(1, (total+16383)/16384); i++ {
		h := sha1.Sum([]byte{byte(i)})
		pieces = append(pieces, h[:]...)
	}
	info["pieces"] = string(pieces)
	b, err := bencode.Marshal(map[string]any{"info": info})
	require.NoError(t, err)
	return b
}

// sandbox is a download directory beside an "outside" directory holding a
// sentinel; snapshot lists everything under its root, so a test can tell
// whether anything was written where it must not be.
type sandbox struct {
	root, dl, outside, state string
}

func newSandbox(t *testing.T) *sandbox {
	root := t.TempDir()
	s := &sandbox{root: root, dl: filepath.Join(root, "dl"), outside: filepath.Join(root, "outside"), state: filepath.Join(root, "state")}
	require.NoError(t, os.MkdirAll(s.dl, 0o755))
	require.NoError(t, os.MkdirAll(s.outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(s.outside, "sentinel"), []byte("untouched"), 0o644))
	return s
}

// snapshot maps every path below root, except the state dir, to its size.
func (s *sandbox) snapshot(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	require.NoError(t, filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == s.state {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		out[p] = fi.Size()
		return nil
	}))
	return out
}

// requireNothingOutside fails if anything appeared or changed outside dl
// (the sandbox outside dir, the root, or the absolute paths named).
func (s *sandbox) requireNothingOutside(t *testing.T, before map[string]int64, absolute ...string) {
	t.Helper()
	after := s.snapshot(t)
	var changed []string
	for p, size := range after {
		if strings.HasPrefix(p, s.dl+string(filepath.Separator)) {
			continue
		}
		if old, ok := before[p]; !ok || old != size {
			changed = append(changed, p)
		}
	}
	sort.Strings(changed)
	require.Empty(t, changed, "written outside the download directory")
	b, err := os.ReadFile(filepath.Join(s.outside, "sentinel"))
	require.NoError(t, err)
	require.Equal(t, "untouched", string(b))
	for _, p := range absolute {
		_, err := os.Lstat(p)
		require.True(t, os.IsNotExist(err), "%s must not exist", p)
	}
}

// TestUnsafePaths: torrents whose paths would leave the download directory
// are refused, through the API and through `braid download`, and nothing is
// written outside the directory.
func TestUnsafePaths(t *testing.T) {
	evil := filepath.Join(os.TempDir(), "braid-hostile-evil-"+strings.ReplaceAll(t.Name(), "/", "_"))
	cases := []struct {
		name    string
		torrent func(t *testing.T, s *sandbox) []byte
	}{
		{"dot-dot in a file path", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"..", "..", "outside", "evil"}, 10}})
		}},
		{"dot-dot as the name", func(t *testing.T, s *sandbox) []byte { return handTorrent(t, "..", 10, nil) }},
		{"name with a separator", func(t *testing.T, s *sandbox) []byte { return handTorrent(t, "../outside/evil", 10, nil) }},
		{"absolute file path", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{evil}, 10}})
		}},
		{"absolute name", func(t *testing.T, s *sandbox) []byte { return handTorrent(t, evil, 10, nil) }},
		{"absolute path split in components", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"", "tmp", "evil"}, 10}})
		}},
		{"NUL in a name", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"a\x00/../../outside/evil"}, 10}})
		}},
		{"backslash traversal", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{`..\..\outside\evil`}, 10}})
		}},
		{"drive letter", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"C:evil"}, 10}})
		}},
		{"300-byte name", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{strings.Repeat("a", 300)}, 10}})
		}},
		{"duplicate paths", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"x"}, 10}, {[]string{"x"}, 20}})
		}},
		{"a file that is also a directory", func(t *testing.T, s *sandbox) []byte {
			return handTorrent(t, "t", 0, []handFile{{[]string{"a"}, 10}, {[]string{"a", "b"}, 20}})
		}},
		{"symlink to a directory outside", func(t *testing.T, s *sandbox) []byte {
			require.NoError(t, os.Symlink(s.outside, filepath.Join(s.dl, "name")))
			return handTorrent(t, "name", 0, []handFile{{[]string{"sentinel"}, 10}, {[]string{"evil"}, 10}})
		}},
		{"symlink to a file outside", func(t *testing.T, s *sandbox) []byte {
			require.NoError(t, os.Symlink(filepath.Join(s.outside, "sentinel"), filepath.Join(s.dl, "name")))
			return handTorrent(t, "name", 9, nil)
		}},
		{"symlink deeper in the tree", func(t *testing.T, s *sandbox) []byte {
			require.NoError(t, os.MkdirAll(filepath.Join(s.dl, "t"), 0o755))
			require.NoError(t, os.Symlink(s.outside, filepath.Join(s.dl, "t", "sub")))
			return handTorrent(t, "t", 0, []handFile{{[]string{"sub", "evil"}, 10}})
		}},
		{"dangling symlink", func(t *testing.T, s *sandbox) []byte {
			require.NoError(t, os.Symlink(filepath.Join(s.outside, "missing"), filepath.Join(s.dl, "name")))
			return handTorrent(t, "name", 10, nil)
		}},
	}
	for _, tc := range cases {
		t.Run("API/"+tc.name, func(t *testing.T) {
			s := newSandbox(t)
			data := tc.torrent(t, s)
			before := s.snapshot(t)
			c := newClient(t, braid.Config{DataDir: s.dl, StateDir: s.state})
			tor, err := c.DownloadBytes(context.Background(), data)
			if err == nil {
				_ = c.Remove(tor.InfoHash())
				t.Fatalf("torrent accepted (%s); it must be refused", tor.Name())
			}
			t.Logf("refused: %v", err)
			require.Contains(t, strings.ToLower(err.Error()), "unsafe", "the error must say why")
			require.Empty(t, c.List())
			require.NoError(t, c.Close())
			s.requireNothingOutside(t, before, evil)
		})
	}
	bin := braidPath(t)
	for _, tc := range cases {
		t.Run("CLI/"+tc.name, func(t *testing.T) {
			s := newSandbox(t)
			data := tc.torrent(t, s)
			tf := filepath.Join(t.TempDir(), "evil.torrent")
			require.NoError(t, os.WriteFile(tf, data, 0o644))
			before := s.snapshot(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res := runBraid(ctx, t, bin, "download", "--no-dht", "--stun", "none", "--dir", s.dl, "--state-dir", s.state, "--listen", "127.0.0.1:0", tf)
			t.Logf("exit %d: %s", res.code, strings.TrimSpace(res.stderr))
			require.NotZero(t, res.code, "braid download must refuse the torrent")
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			require.Len(t, lines, 1, "one clear line on stderr, no stack trace")
			require.True(t, strings.HasPrefix(lines[0], "braid: "), lines[0])
			require.Contains(t, strings.ToLower(lines[0]), "unsafe")
			s.requireNothingOutside(t, before, evil)
		})
	}
}

// TestReservedNames records what Braid does with Windows device names on
// Linux, where they are ordinary files: accepted, and written inside the
// download directory only.
func TestReservedNames(t *testing.T) {
	for _, name := range []string{"CON", "aux", "NUL", "com1.txt", "LPT9"} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			data := handTorrent(t, "t", 0, []handFile{{[]string{name}, 0}, {[]string{"data"}, 10}})
			before := s.snapshot(t)
			c := newClient(t, braid.Config{DataDir: s.dl, StateDir: s.state})
			tor, err := c.DownloadBytes(context.Background(), data)
			if err != nil {
				t.Logf("%s: refused: %v", name, err)
			} else {
				fi, err := os.Lstat(filepath.Join(s.dl, "t", name))
				require.NoError(t, err, "the empty file is created at start")
				require.True(t, fi.Mode().IsRegular())
				t.Logf("%s: accepted; written as %s (a regular file on Linux)", name, filepath.Join("dl", "t", name))
				require.NoError(t, c.Remove(tor.InfoHash()))
			}
			require.NoError(t, c.Close())
			s.requireNothingOutside(t, before)
		})
	}
}

// TestSymlinkPlantedAfterStart: a symlink that appears in the download
// directory after the torrent started (before its file is first written)
// must not redirect the write outside.
func TestSymlinkPlantedAfterStart(t *testing.T) {
	c := makeContent(t, "planted.bin", 512<<10, 64<<10, 10)
	s := newSandbox(t)
	victim := newClient(t, braid.Config{DataDir: s.dl, StateDir: s.state})
	tor, err := victim.DownloadBytes(context.Background(), c.torrent)
	require.NoError(t, err)
	<-tor.Checked()
	require.NoError(t, os.Symlink(filepath.Join(s.outside, "sentinel"), filepath.Join(s.dl, c.name)))
	before := s.snapshot(t)
	startSeeder(t, c, braid.Config{}, victim.ListenAddr())
	ended := eventually(10*time.Second, func() bool {
		select {
		case <-tor.Completed():
			return true
		default:
			return tor.State() == "error"
		}
	})
	require.True(t, ended, "no error after 10s: state %s", tor.State())
	select {
	case <-tor.Completed():
		t.Fatalf("download completed through a symlink to %s", filepath.Join(s.outside, "sentinel"))
	default:
	}
	t.Logf("stopped: %v", tor.Err())
	require.Contains(t, strings.ToLower(tor.Err().Error()), "unsafe")
	s.requireNothingOutside(t, before)
}
