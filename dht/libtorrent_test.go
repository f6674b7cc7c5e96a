//go:build !js

package dht

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ltMsg is one line of testdata/lt_dht.py's output.
type ltMsg struct {
	Type     string   `json:"type"`
	Port     int      `json:"port"`
	InfoHash string   `json:"info_hash"`
	Peers    []string `json:"peers"`
}

// ltNode runs libtorrent's DHT (python3-libtorrent) until the test ends.
type ltNode struct {
	port int
	msgs chan ltMsg
	mu   sync.Mutex
	errs strings.Builder
}

func (l *ltNode) stderr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs.String()
}

func startLibtorrent(t *testing.T, args ...string) *ltNode {
	t.Helper()
	script, err := filepath.Abs("testdata/lt_dht.py")
	require.NoError(t, err)
	cmd := exec.Command("/usr/bin/python3", append([]string{script, "--listen", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	l := &ltNode{msgs: make(chan ltMsg, 256)}
	errPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "python3-libtorrent is needed (apt-get install python3-libtorrent)")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			l.mu.Lock()
			if l.errs.Len() < 64<<10 {
				l.errs.WriteString(sc.Text() + "\n")
			}
			l.mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		defer close(l.msgs)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m ltMsg
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			select {
			case l.msgs <- m:
			default: // nobody reading: repeated lines may be dropped
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		wg.Wait()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("libtorrent stderr:\n%s", l.stderr())
		}
	})
	ready := l.await(t, 30*time.Second, func(m ltMsg) bool { return m.Type == "ready" })
	require.NotZero(t, ready.Port)
	l.port = ready.Port
	return l
}

// await returns the first message matching ok, failing after timeout.
func (l *ltNode) await(t *testing.T, timeout time.Duration, ok func(ltMsg) bool) ltMsg {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m, open := <-l.msgs:
			if !open {
				t.Fatalf("libtorrent exited:\n%s", l.stderr())
			}
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("libtorrent: timed out; stderr:\n%s", l.stderr())
		}
	}
}

// hasPeer reports whether a libtorrent message for ih lists want.
func hasPeer(m ltMsg, typ string, ih [20]byte, want netip.AddrPort) bool {
	if m.Type != typ || m.InfoHash != hex.EncodeToString(ih[:]) {
		return false
	}
	for _, p := range m.Peers {
		if ap, err := netip.ParseAddrPort(p); err == nil && netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) == want {
			return true
		}
	}
	return false
}

// libtorrent 2.0's DHT and Braid's on loopback, both ways:
//  1. libtorrent joins through our node (its only bootstrap node) and
//     announces a torrent: our node accepts the announce_peer and GetPeers
//     reports libtorrent's address;
//  2. libtorrent keeps bootstrap nodes out of its routing table, so a
//     second Braid node S joins through libtorrent and waits until
//     libtorrent announces to it; a third node M, which also knows only
//     libtorrent, finds the peer by a lookup that goes through libtorrent;
//  3. M announces another hash: libtorrent accepts the announce_peer, and
//     its own get_peers lookup finds M's peer on S.
func TestLibtorrentInterop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	ours := newTestNode(t, Config{})
	ih := infoHash("libtorrent announces")
	ih2 := infoHash("braid announces")
	lt := startLibtorrent(t, "--bootstrap", ours.Addr().String(),
		"--announce", hex.EncodeToString(ih[:]), "--get-peers", hex.EncodeToString(ih2[:]))
	ltPeer := loopback(uint16(lt.port))

	require.Eventually(t, func() bool { return ours.Stats().StoredPeers > 0 }, 60*time.Second, 100*time.Millisecond,
		"libtorrent never announced to our node")
	ch, err := ours.GetPeers(ctx, ih)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), ltPeer)

	s := newTestNode(t, Config{BootstrapNodes: []string{ltPeer.String()}})
	require.NoError(t, s.Bootstrap(ctx))
	require.Eventually(t, func() bool { return len(s.store.peers(ih, 10)) > 0 }, 60*time.Second, 100*time.Millisecond,
		"libtorrent never announced to a node of its routing table")

	m := newTestNode(t, Config{BootstrapNodes: []string{ltPeer.String()}})
	require.NoError(t, m.Bootstrap(ctx))
	ch, err = m.GetPeers(ctx, ih)
	require.NoError(t, err)
	assert.Contains(t, collect(t, ch), ltPeer, "a lookup through libtorrent's node finds its peer")

	// libtorrent's own lookup never asks itself, so the peer must also be
	// stored on S, which is in libtorrent's routing table: introduce M to S.
	require.NoError(t, m.AddNode(s.Addr().String()))
	require.Eventually(t, func() bool { return m.Stats().GoodNodes >= 2 }, 10*time.Second, 20*time.Millisecond)
	braidPeer := loopback(40123)
	ch, err = m.Announce(ctx, ih2, int(braidPeer.Port()), false)
	require.NoError(t, err)
	collect(t, ch)
	require.GreaterOrEqual(t, m.Stats().Announced, int64(2), "M announced to libtorrent and S")
	lt.await(t, 60*time.Second, func(msg ltMsg) bool { return hasPeer(msg, "announced", ih2, braidPeer) })
	lt.await(t, 60*time.Second, func(msg ltMsg) bool { return hasPeer(msg, "peers", ih2, braidPeer) })
}
