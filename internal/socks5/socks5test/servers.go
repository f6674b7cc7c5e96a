// Package socks5test runs Debian's SOCKS5 servers for tests: microsocks
// (CONNECT, with or without a user and password) and dante's danted
// (CONNECT and UDP ASSOCIATE, logging every session with its addresses).
// A server that is not installed fails the test (scripts/install-test-deps.sh
// installs both).
package socks5test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Server is a running SOCKS5 server.
type Server struct {
	Addr string // host:port it listens on
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{} // closed when the process has exited
}

// Log is what the server printed so far.
func (s *Server) Log() string { return s.log.String() }

// Stop ends the server (also done by the test's cleanup).
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// FreePort is a TCP port nobody listens on at ip now.
func FreePort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// Microsocks runs microsocks on listenIP (a free port); its outgoing
// connections leave from bindIP when set. With user set, it requires
// that user and password.
func Microsocks(t testing.TB, listenIP, bindIP, user, pass string) *Server {
	t.Helper()
	return MicrosocksIn(t, nil, net.JoinHostPort(listenIP, strconv.Itoa(FreePort(t, listenIP))), bindIP, user, pass)
}

// MicrosocksIn is Microsocks on listenAddr ("ip:port"), its command line
// prefixed by wrap (nsenter into a network namespace, say).
func MicrosocksIn(t testing.TB, wrap []string, listenAddr, bindIP, user, pass string) *Server {
	t.Helper()
	bin, err := exec.LookPath("microsocks")
	require.NoError(t, err, "microsocks is not installed (scripts/install-test-deps.sh)")
	listenIP, port, err := net.SplitHostPort(listenAddr)
	require.NoError(t, err)
	args := []string{"-i", listenIP, "-p", port}
	if bindIP != "" {
		args = append(args, "-b", bindIP)
	}
	if user != "" {
		args = append(args, "-u", user, "-P", pass)
	}
	return start(t, listenAddr, append(append(wrap[:len(wrap):len(wrap)], bin), args...)...)
}

// Dante runs danted on listenIP (a free port) with no authentication,
// passing CONNECT and UDP ASSOCIATE to anywhere; outgoing traffic (and
// the UDP relay's far side) leaves from externalIP. It logs each
// session's client and target.
func Dante(t testing.TB, listenIP, externalIP string) *Server {
	t.Helper()
	return DanteIn(t, nil, net.JoinHostPort(listenIP, strconv.Itoa(FreePort(t, listenIP))), externalIP)
}

// DanteIn is Dante on listenAddr ("ip:port"), its command line prefixed
// by wrap (nsenter into a network namespace, say).
func DanteIn(t testing.TB, wrap []string, listenAddr, externalIP string) *Server {
	t.Helper()
	listenIP, port, err := net.SplitHostPort(listenAddr)
	require.NoError(t, err)
	bin, err := exec.LookPath("danted")
	if err != nil {
		bin = "/usr/sbin/danted"
		if _, serr := os.Stat(bin); serr != nil {
			require.NoError(t, err, "danted is not installed (dante-server; scripts/install-test-deps.sh)")
		}
	}
	dir := t.TempDir()
	conf := fmt.Sprintf(`logoutput: stderr
internal: %s port = %s
external: %s
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: root
client pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
}
socks pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	command: connect udpassociate udpreply
	log: connect disconnect error
}
`, listenIP, port, externalIP)
	path := filepath.Join(dir, "danted.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o644))
	argv := append(wrap[:len(wrap):len(wrap)], bin, "-f", path, "-N", "1", "-p", filepath.Join(dir, "danted.pid"))
	return start(t, listenAddr, argv...)
}

// start runs a server (argv) and waits until its port accepts connections.
func start(t testing.TB, addr string, argv ...string) *Server {
	t.Helper()
	bin := argv[0]
	s := &Server{Addr: addr, log: &syncBuffer{}}
	s.cmd = exec.Command(bin, argv[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	require.NoError(t, s.cmd.Start(), "start %s", bin)
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited:\n%s", bin, s.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %v\n%s", bin, addr, err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

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
