package interop

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// freePort returns a loopback port that is free for both TCP and UDP right
// now and was not handed to another test of this run.
func freePort(t *testing.T) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for range 100 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, uerr := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		_ = l.Close()
		if uerr != nil {
			continue
		}
		_ = u.Close()
		if handedOut.ports[port] {
			continue
		}
		handedOut.ports[port] = true
		return port
	}
	t.Fatalf("free port: none found")
	return 0
}

func loopback(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// tcpUp reports whether something accepts connections on addr.
func tcpUp(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// requireTCPUp waits until addr accepts TCP connections.
func requireTCPUp(t *testing.T, p *proc, addr string, timeout time.Duration) {
	t.Helper()
	ok := waitUntil(timeout, func() bool { return p.exited() || tcpUp(addr) })
	if !ok || p.exited() {
		t.Fatalf("%s: nothing listening on %s within %v (exited: %v)", p.name, addr, timeout, p.exited())
	}
}

// udpTrackerUp sends a BEP 15 connect request to addr and reports whether a
// valid connect response came back.
func udpTrackerUp(addr string) bool {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	req := make([]byte, 16)
	binary.BigEndian.PutUint64(req[0:], 0x41727101980)
	binary.BigEndian.PutUint32(req[8:], 0) // action connect
	_, _ = rand.Read(req[12:16])
	if _, err := c.Write(req); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	resp := make([]byte, 64)
	n, err := c.Read(resp)
	if err != nil || n < 16 {
		return false
	}
	return binary.BigEndian.Uint32(resp[0:]) == 0 && string(resp[4:8]) == string(req[12:16])
}

// requireUDPTrackerUp waits until a UDP tracker answers connect requests on addr.
func requireUDPTrackerUp(t *testing.T, p *proc, addr string, timeout time.Duration) {
	t.Helper()
	ok := waitUntil(timeout, func() bool { return p.exited() || udpTrackerUp(addr) })
	if !ok || p.exited() {
		t.Fatalf("%s: no UDP tracker answering on %s within %v (exited: %v)", p.name, addr, timeout, p.exited())
	}
}
