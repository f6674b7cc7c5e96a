//go:build linux

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The proxy tests' network, made inside the test's own namespace (C,
// netnstest) with two more namespaces: P, the proxy's, and S, the
// servers' (seeders, tracker, web seed).
//
//	C 10.97.1.2 ---- 10.97.1.1 P 10.97.2.1 ---- 10.97.2.2 S
//
// P forwards packets between the two links, so a connection the client
// made around its proxy would reach S, from the client's own address:
// an nftables counter in S counts every packet from 10.97.1.2, and the
// tests require it to stay 0. What the proxy sends leaves P from
// 10.97.2.1.
const (
	pnClientIP   = "10.97.1.2"
	pnProxyIP    = "10.97.1.1" // the proxy's side towards the client
	pnProxyOutIP = "10.97.2.1" // the proxy's side towards the servers
	pnServerIP   = "10.97.2.2"
)

type proxyNet struct {
	pPid, sPid int
}

// newProxyNet builds the network; the caller runs in C already.
func newProxyNet(t *testing.T) *proxyNet {
	t.Helper()
	n := &proxyNet{pPid: holdNetns(t), sPid: holdNetns(t)}
	p, s := strconv.Itoa(n.pPid), strconv.Itoa(n.sPid)
	sh(t, nil,
		"ip link add c0 type veth peer name p0 netns "+p,
		"ip link add s0 netns "+s+" type veth peer name p1 netns "+p,
		"ip addr add "+pnClientIP+"/24 dev c0", "ip link set c0 up",
		"ip route add 10.97.2.0/24 via "+pnProxyIP)
	sh(t, n.in("P"), "ip link set lo up",
		"ip addr add "+pnProxyIP+"/24 dev p0", "ip addr add "+pnProxyOutIP+"/24 dev p1",
		"ip link set p0 up", "ip link set p1 up", "echo 1 > /proc/sys/net/ipv4/ip_forward")
	sh(t, n.in("S"), "ip link set lo up",
		"ip addr add "+pnServerIP+"/24 dev s0", "ip link set s0 up",
		"ip route add 10.97.1.0/24 via "+pnProxyOutIP,
		"nft add table inet braid",
		`nft add chain inet braid in '{ type filter hook input priority 0; }'`,
		"nft add rule inet braid in ip saddr "+pnClientIP+" counter")
	return n
}

// holdNetns starts a process in a new network namespace that keeps it
// alive until the test ends, and returns its pid.
func holdNetns(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("unshare", "-n", "sleep", "3600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	self, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	ok := waitUntil(5*time.Second, func() bool {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid))
		return err == nil && ns != self
	})
	require.True(t, ok, "unshare -n made no namespace")
	return cmd.Process.Pid
}

// in is the command prefix that runs a program in namespace P or S.
func (n *proxyNet) in(which string) []string {
	pid := n.pPid
	if which == "S" {
		pid = n.sPid
	}
	return []string{"nsenter", "-t", strconv.Itoa(pid), "-n", "--"}
}

// sh runs shell lines (set -e) with the prefix wrap (nil: here, in C).
func sh(t *testing.T, wrap []string, lines ...string) {
	t.Helper()
	argv := append(append([]string{}, wrap...), "sh", "-ec", strings.Join(lines, "\n"))
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	require.NoError(t, err, "%s: %s\n%s", wrap, strings.Join(lines, "; "), out)
}

var counterRE = regexp.MustCompile(`counter packets (\d+)`)

// leaked is the number of packets from the client's own address that
// reached S so far.
func (n *proxyNet) leaked(t *testing.T) int {
	t.Helper()
	argv := append(n.in("S"), "nft", "list", "chain", "inet", "braid", "in")
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := counterRE.FindSubmatch(out)
	require.NotNil(t, m, "no counter in %s", out)
	k, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return k
}

// python runs a Python script in namespace P (a probe that is neither
// the client nor a server) and returns what it printed.
func (n *proxyNet) python(t *testing.T, script string, args ...string) (string, error) {
	t.Helper()
	argv := append(append(n.in("P"), systemPython, "-c", script), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}

// waitTCP waits until addr accepts connections, probing from P.
func (n *proxyNet) waitTCP(t *testing.T, addr string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ok := waitUntil(20*time.Second, func() bool {
		_, err := n.python(t, "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()", host, port)
		return err == nil
	})
	require.True(t, ok, "nothing listens on %s", addr)
}

// announcePy announces to an HTTP tracker as a probe and prints the
// compact peers it got, one "ip:port" a line.
const announcePy = `import sys, urllib.request, urllib.parse
ih = urllib.parse.quote(bytes.fromhex(sys.argv[2]))
url = sys.argv[1] + "?info_hash=" + ih + "&peer_id=-PR0001-probeprobepr&port=9&uploaded=0&downloaded=0&left=1&compact=1"
body = urllib.request.urlopen(url, timeout=5).read()
i = body.index(b"5:peers") + 7
j = body.index(b":", i)
n = int(body[i:j]); peers = body[j+1:j+1+n]
for k in range(0, n, 6):
    print("%d.%d.%d.%d:%d" % (peers[k], peers[k+1], peers[k+2], peers[k+3], peers[k+4] * 256 + peers[k+5]))
`

// trackerPeers are the peers the HTTP tracker at url hands out for the
// info hash (hex), asked from P.
func (n *proxyNet) trackerPeers(t *testing.T, url, infoHash string) []string {
	t.Helper()
	out, err := n.python(t, announcePy, url, infoHash)
	require.NoError(t, err, "%s", out)
	return strings.Fields(out)
}

// sockets counts the UDP sockets and listening TCP sockets process pid
// (in this namespace) holds.
func sockets(t *testing.T, pid int) (udp, tcpListen int) {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	for _, fd := range fds {
		l, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	count := func(file string, listenOnly bool) int {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		k := 0
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			if !listenOnly || f[3] == "0A" {
				k++
			}
		}
		return k
	}
	udp = count("/proc/net/udp", false) + count("/proc/net/udp6", false)
	tcpListen = count("/proc/net/tcp", true) + count("/proc/net/tcp6", true)
	return udp, tcpListen
}

// stderrLines is what the process printed on stderr so far.
func (p *proc) stderrLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stderr...)
}
