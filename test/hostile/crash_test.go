package hostile

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/persist"
	"github.com/stretchr/testify/require"
)

// braidProc is a running `braid download --json`.
type braidProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu     sync.Mutex
	lines  []map[string]any
	stderr strings.Builder
}

func startBraid(t *testing.T, bin string, args ...string) *braidProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &braidProc{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &p.mu, b: &p.stderr}
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				p.mu.Lock()
				p.lines = append(p.lines, m)
				p.mu.Unlock()
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill(); <-p.done })
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(b)
}

// kill sends SIGKILL to the process group.
func (p *braidProc) kill() {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// last returns the last JSON line of the given type.
func (p *braidProc) last(typ string) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.lines) - 1; i >= 0; i-- {
		if p.lines[i]["type"] == typ {
			return p.lines[i], true
		}
	}
	return nil, false
}

func (p *braidProc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// crashRng is seeded from BRAID_HOSTILE_SEED when set, so a failing run
// can be replayed, else from the clock; the seed is logged.
func crashRng(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BRAID_HOSTILE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "BRAID_HOSTILE_SEED")
		seed = v
	}
	t.Logf("kill schedule seed %d (replay with BRAID_HOSTILE_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// recordClaims decodes the resume record, if there is one, and returns the
// pieces it claims. A record that exists but does not decode is a failure:
// records are replaced atomically.
func recordClaims(t *testing.T, path string, c *content) (claims []int, exists bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false
	}
	require.NoError(t, err)
	rec, err := persist.DecodeRecord(b)
	require.NoError(t, err, "resume record %s must decode after kill -9", path)
	ih, ok := rec.InfoHashArray()
	require.True(t, ok)
	require.Equal(t, [20]byte(c.ih), ih)
	bf, err := bitfield.FromBytes(rec.Bitfield, c.info.NumPieces())
	require.NoError(t, err, "record bitfield")
	return bf.Indices(), true
}

func jsonInt(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

// TestCrashSafety kills `braid download` with SIGKILL at random moments,
// at least 20 times in a row, and restarts it each time. After every kill
// the resume record must decode and every piece it claims must be correct
// on disk; each restart must find exactly the correct pieces again; the
// final run completes with the right bytes.
func TestCrashSafety(t *testing.T) {
	bin := braidPath(t)
	rng := crashRng(t)
	c := makeContent(t, "crash.bin", 32<<20, 256<<10, 8)
	// A slow seeder, so the download spans the kills.
	seeder, _ := startSeeder(t, c, braid.Config{UploadRate: 2 << 20})
	tf := filepath.Join(t.TempDir(), "crash.torrent")
	require.NoError(t, os.WriteFile(tf, c.torrent, 0o644))
	dir, state := t.TempDir(), t.TempDir()
	recPath := filepath.Join(state, c.ih.String()+".resume")
	dataPath := filepath.Join(dir, c.name)
	args := []string{"download", "--no-dht", "--stun", "none", "--json", "--dir", dir, "--state-dir", state,
		"--listen", "127.0.0.1:0", "--peer", seeder.ListenAddr(), tf}
	n := c.info.NumPieces()

	const kills = 20
	correct := 0 // pieces correct on disk after the previous run
	killed, completedEarly := 0, 0
	for run := 0; ; run++ {
		final := killed >= kills
		p := startBraid(t, bin, args...)
		delay := time.Duration(rng.IntN(800)) * time.Millisecond
		if final {
			delay = 90 * time.Second
		}
		exitedByItself := false
		start := time.Now()
		select {
		case <-p.done:
			exitedByItself = true
		case <-time.After(delay):
			p.kill()
			<-p.done
		}
		if exitedByItself {
			require.NoError(t, p.err, "run %d exited on its own with an error; stderr:\n%s", run, p.stderrText())
		}

		// What this run found at start must be exactly what the disk held.
		if r, ok := p.last("resume"); ok {
			valid := jsonInt(r, "valid")
			require.LessOrEqual(t, valid, correct, "run %d claims %d valid pieces, only %d are correct on disk", run, valid, correct)
			require.Equal(t, correct, valid, "run %d: pieces correct on disk after the crash must all be found again", run)
		}
		// After the crash: the record is whole and claims only good pieces.
		onDisk := piecesOnDisk(c, dataPath)
		claims, exists := recordClaims(t, recPath, c)
		for _, i := range claims {
			require.True(t, onDisk[i], "run %d: record claims piece %d but it is wrong on disk", run, i)
		}
		correct = countTrue(onDisk)
		temps, _ := filepath.Glob(filepath.Join(state, "*.tmp-*"))
		t.Logf("run %2d: %-6s after %5dms: record %v claims %3d, correct on disk %3d/%d, temp files %d",
			run, map[bool]string{true: "exited", false: "killed"}[exitedByItself], time.Since(start).Milliseconds(),
			exists, len(claims), correct, n, len(temps))
		if !exitedByItself {
			killed++
			continue
		}
		if !final {
			// Finished before the 20th kill: later kills land on the
			// start-up check of a complete download, still worth making.
			completedEarly++
			continue
		}
		break
	}
	require.GreaterOrEqual(t, killed, kills)
	if completedEarly > 0 {
		t.Logf("the download completed before the last kill; %d runs exited on their own", completedEarly)
	}
	requireContent(t, c, dir)
	claims, exists := recordClaims(t, recPath, c)
	require.True(t, exists, "a completed download keeps its resume record")
	require.Len(t, claims, n, "the final record claims every piece")
}
