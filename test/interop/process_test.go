package interop

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a program started by a test: its output is kept line by line (stdout
// for the JSON events, both streams for the log shown when the test fails) and
// it is killed, with its process group, when the test ends.
type proc struct {
	name    string
	cmdline string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and its output is drained
	waitErr error
	// logFiles are the program's own log files, shown with its output when a test fails.
	logFiles []string

	mu     sync.Mutex
	stdout []string
	stderr []string
}

// startProc starts argv[0] with the remaining arguments. dir may be empty.
func startProc(t *testing.T, name, dir string, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{name: name, cmdline: strings.Join(argv, " "), cmd: cmd, done: make(chan struct{})}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start %s: %v", name, p.cmdline, err)
	}
	t.Logf("%s: started pid %d: %s", name, cmd.Process.Pid, p.cmdline)
	var readers sync.WaitGroup
	readers.Add(2)
	go p.collect(outR, &p.stdout, &readers)
	go p.collect(errR, &p.stderr, &readers)
	go func() {
		readers.Wait()
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Logf("%s: did not exit 10s after SIGKILL", name)
		}
		if t.Failed() || os.Getenv("BRAID_INTEROP_LOGS") != "" {
			p.logTail(t, 40)
		}
	})
	return p
}

func (p *proc) collect(r io.Reader, dst *[]string, wg *sync.WaitGroup) {
	defer wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		p.mu.Lock()
		*dst = append(*dst, sc.Text())
		p.mu.Unlock()
	}
	// Keep draining after an overlong line so the child never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

// logTail shows the last n lines of both streams, for a failing test.
func (p *proc) logTail(t *testing.T, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := "running"
	if p.exited() {
		status = fmt.Sprintf("exit: %v", p.waitErr)
	}
	t.Logf("---- %s (%s)\n  cmd: %s", p.name, status, p.cmdline)
	for _, s := range []struct {
		label string
		lines []string
	}{{"stdout", p.stdout}, {"stderr", p.stderr}} {
		lines := s.lines
		skipped := 0
		if len(lines) > n {
			skipped = len(lines) - n
			lines = lines[skipped:]
		}
		if len(lines) == 0 {
			continue
		}
		t.Logf("  %s (%d earlier lines omitted):\n    %s", s.label, skipped, strings.Join(lines, "\n    "))
	}
	for _, f := range p.logFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		t.Logf("  log %s (tail):\n    %s", filepath.Base(f), strings.Join(lines, "\n    "))
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process itself (not its group).
func (p *proc) signal(sig syscall.Signal) {
	if !p.exited() {
		_ = p.cmd.Process.Signal(sig)
	}
}

// kill sends SIGKILL to the process group this test started.
func (p *proc) kill() {
	if !p.exited() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// waitExit waits up to timeout for the process to end and returns its exit error.
func (p *proc) waitExit(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		t.Fatalf("%s: still running after %v", p.name, timeout)
		return nil
	}
}

// requireExitOK waits for a clean exit (status 0).
func (p *proc) requireExitOK(t *testing.T, timeout time.Duration) {
	t.Helper()
	if err := p.waitExit(t, timeout); err != nil {
		t.Fatalf("%s: exited with %v (want status 0)", p.name, err)
	}
}

func (p *proc) stdoutLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stdout...)
}

// event is one JSON line from braid --json or from a peer driver script; the
// fields are the union of both vocabularies.
type event struct {
	Type         string         `json:"type"`
	Addr         string         `json:"addr"`
	Port         int            `json:"port"`
	Record       string         `json:"record"`
	Checked      int            `json:"checked"`
	Valid        int            `json:"valid"`
	Invalid      int            `json:"invalid"`
	InfoHash     string         `json:"info_hash"`
	InfoHashV2   string         `json:"info_hash_v2"` // braid progress: 64 hex, v2 and hybrid torrents
	Protocol     string         `json:"protocol"`     // braid progress and complete: v1, v2, hybrid
	Name         string         `json:"name"`
	State        string         `json:"state"`
	Have         int64          `json:"have"`
	Total        int64          `json:"total"`
	Progress     float64        `json:"progress"`
	DownloadRate float64        `json:"download_rate"`
	UploadRate   float64        `json:"upload_rate"`
	Peers        int            `json:"peers"`
	UploadOnly   int            `json:"upload_only_peers"` // libtorrent progress: peers flagged upload_only
	PeerPieces   map[string]int `json:"peer_pieces"`       // libtorrent progress: pieces each peer has shown
	Transports   map[string]int `json:"transports"`        // progress: peers by transport
	Fetched      int64          `json:"fetched"`
	Uploaded     int64          `json:"uploaded"`
	Downloaded   int64          `json:"downloaded"`
	Seconds      float64        `json:"seconds"`
	Error        string         `json:"error"`
	raw          string
}

// events parses every JSON object line printed so far; other lines are ignored.
func (p *proc) events() []event {
	var evs []event
	for _, line := range p.stdoutLines() {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e event
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		e.raw = line
		evs = append(evs, e)
	}
	return evs
}

var errExited = errors.New("process exited")

// nextEvent waits up to timeout for an event, at index from or later, that
// matches; it returns the event and its index. It stops early with errExited
// once the process has exited without printing one.
func (p *proc) nextEvent(from int, timeout time.Duration, match func(event) bool) (event, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		exitedBefore := p.exited() // read before the events so none is missed
		evs := p.events()
		for i := from; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i, nil
			}
		}
		if exitedBefore {
			return event{}, -1, fmt.Errorf("%s: %w (%v) before the awaited event", p.name, errExited, p.waitErr)
		}
		if time.Now().After(deadline) {
			return event{}, -1, fmt.Errorf("%s: no awaited event within %v", p.name, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requireEvent is nextEvent from the first line that fails the test on error.
func (p *proc) requireEvent(t *testing.T, what string, timeout time.Duration, match func(event) bool) event {
	t.Helper()
	e, _, err := p.nextEvent(0, timeout, match)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return e
}

// lastEvent returns the last event of the given type, if any.
func (p *proc) lastEvent(typ string) (event, bool) {
	evs := p.events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i], true
		}
	}
	return event{}, false
}

func isType(typ string) func(event) bool {
	return func(e event) bool { return e.Type == typ }
}

// waitUntil polls cond every 100ms until it returns true or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
