package interop

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/stretchr/testify/require"
)

// TestDHTOnlyDiscovery builds a private DHT on 127.0.0.1 and has peers find
// each other through it alone: no tracker, no x.pe, no --peer.
//
//   - braid nodes A and B hold a magnet nobody has and bootstrap from each
//     other;
//   - braid S seeds torrent 1, bootstrapping from A only; get_peers queries
//     sent by the test show when its announce has landed;
//   - braid D downloads torrent 1 from a magnet with only xt, bootstrapping
//     from B only: its lookup must hop from B to A;
//   - libtorrent downloads torrent 1 from a magnet with only xt, its DHT
//     bootstrapped from B only;
//   - libtorrent seeds torrent 2 (same files, other piece length, so another
//     info hash) on the DHT, bootstrapped from B; once a braid node stores
//     its announce, braid D2 downloads torrent 2 by magnet, bootstrapping
//     from B.
//
// A's and B's node IDs are pinned (in their DHT state files) to differ in
// the first bit. The DHT library Braid uses answers get_peers and find_node
// from the target's bucket and the buckets farther from its own ID only, so
// with random IDs B leaves A out of about one reply in three on a network
// this small; the lookup then waits for braid's next one, 30 s later.
func TestDHTOnlyDiscovery(t *testing.T) {
	parallel(t)
	c := smallContent(t)
	braidPath(t)
	requireClient(t, libtorrent)
	work := t.TempDir()
	dir := func(name string) braidOpts {
		return braidOpts{dir: filepath.Join(work, name), stateDir: filepath.Join(work, name+"-state")}
	}
	start := time.Now()

	pA, pB := freePort(t), freePort(t)
	nodeA, nodeB := loopback(pA), loopback(pB)
	idA, idB := randomNodeID(), randomNodeID()
	idA[0] |= 0x80
	idB[0] &^= 0x80
	aOpts, bOpts := dir("a"), dir("b")
	writeDHTState(t, aOpts.stateDir, idA)
	writeDHTState(t, bOpts.stateDir, idB)
	startBraidRun(t, "braid-node-a", "download", magnetURI(randomInfoHash(), "dn", "node-a"),
		braidRun{braidOpts: aOpts, listen: nodeA, dhtBootstrap: []string{nodeB}})
	requireDHTNode(t, nodeA, idA, 10*time.Second)
	startBraidRun(t, "braid-node-b", "download", magnetURI(randomInfoHash(), "dn", "node-b"),
		braidRun{braidOpts: bOpts, listen: nodeB, dhtBootstrap: []string{nodeA}})
	requireDHTNode(t, nodeB, idB, 10*time.Second)

	seed1, seed2 := filepath.Join(work, "seed1"), filepath.Join(work, "seed2")
	c.copyTo(t, seed1)
	c.copyTo(t, seed2)
	t1, t2 := filepath.Join(work, "t1.torrent"), filepath.Join(work, "t2.torrent")
	meta1 := createTorrent(t, c, t1, smallPiece)
	meta2 := createTorrent(t, c, t2, smallPiece/2)
	require.NotEqual(t, meta1.infoHash, meta2.infoHash)

	// libtorrent starts seeding torrent 2 now, so its DHT has time to settle.
	ltSeed := startLTPeer(t, "libtorrent-dht-seed", "seed", t2, seed2, "--dht-bootstrap", nodeB)
	ltSeed.proc.requireEvent(t, "libtorrent seeding", 30*time.Second, func(e event) bool {
		return e.Type == "progress" && e.State == "seeding"
	})

	mark := time.Now()
	sOpts := braidRun{braidOpts: braidOpts{dir: seed1, stateDir: filepath.Join(work, "s-state")}, dhtBootstrap: []string{nodeA}}
	s := startBraidRun(t, "braid-dht-seed", "seed", t1, sOpts)
	waitBraidSeeding(t, s, c.total, 30*time.Second)
	sAddr := braidAddr(t, s)
	requireDHTAnnounce(t, meta1.infoHash, sAddr, []string{nodeA, nodeB}, 45*time.Second)
	recordTiming(t, "dht: braid seeder's announce stored", time.Since(mark))

	dOpts := braidRun{braidOpts: dir("d"), dhtBootstrap: []string{nodeB}}
	dOpts.seed = true // stays up as a DHT node and a seeder
	mark = time.Now()
	d := startBraidRun(t, "braid-dht-download", "download", magnetURI(meta1.infoHash), dOpts)
	lt := startLTPeer(t, "libtorrent-dht-leech", "leech", magnetURI(meta1.infoHash), filepath.Join(work, "lt"),
		"--dht-bootstrap", nodeB)
	waitBraidCompleteLine(t, d, 100*time.Second)
	recordTiming(t, "dht: braid magnet (xt only) complete", time.Since(mark))
	c.requireMatch(t, "braid", dOpts.dir)
	took := lt.waitComplete(t, 100*time.Second)
	recordTiming(t, "dht: libtorrent magnet (xt only) complete", took)
	c.requireMatch(t, "libtorrent", filepath.Join(work, "lt"))

	mark = time.Now()
	requireDHTAnnounce(t, meta2.infoHash, ltSeed.addr(), []string{nodeA, nodeB, sAddr, braidAddr(t, d)}, 60*time.Second)
	recordTiming(t, "dht: libtorrent seeder's announce stored", time.Since(mark))
	d2Opts := braidRun{braidOpts: dir("d2"), dhtBootstrap: []string{nodeB}}
	d2 := startBraidRun(t, "braid-dht-download-2", "download", magnetURI(meta2.infoHash), d2Opts)
	waitBraidComplete(t, d2, 100*time.Second)
	recordTiming(t, "dht: braid magnet from the libtorrent DHT seeder", time.Since(mark))
	c.requireMatch(t, "braid (from libtorrent)", d2Opts.dir)
	recordTiming(t, "dht: whole test", time.Since(start))
}

func randomNodeID() [20]byte {
	var id [20]byte
	_, _ = rand.Read(id[:])
	return id
}

// writeDHTState pins a braid node's DHT ID: the node reads its ID (and
// saved nodes, none here) from dht.dat in its state directory.
func writeDHTState(t *testing.T, stateDir string, id [20]byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(stateDir, 0o755))
	b, err := bencode.Marshal(map[string]any{"version": 1, "id": string(id[:]), "nodes": []any{}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(stateDir, "dht.dat"), b, 0o600))
}

func randomInfoHash() string {
	var ih [20]byte
	_, _ = rand.Read(ih[:])
	return hex.EncodeToString(ih[:])
}

// krpcReply is the part of a BEP 5 reply the tests read.
type krpcReply struct {
	T string `bencode:"t"`
	Y string `bencode:"y"`
	R struct {
		ID     string   `bencode:"id"`
		Values []string `bencode:"values"`
	} `bencode:"r"`
}

// krpcQuery sends one BEP 5 query to the DHT node at addr (UDP) and returns
// its reply. The query is read-only (BEP 43): the test's socket must not
// end up in anybody's routing table.
func krpcQuery(addr, method string, args map[string]any) (krpcReply, error) {
	var r krpcReply
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		return r, err
	}
	defer conn.Close()
	var id [20]byte
	_, _ = rand.Read(id[:])
	args["id"] = string(id[:])
	var tid [2]byte
	_, _ = rand.Read(tid[:])
	msg, err := bencode.Marshal(map[string]any{"t": string(tid[:]), "y": "q", "q": method, "a": args, "ro": 1})
	if err != nil {
		return r, err
	}
	if _, err := conn.Write(msg); err != nil {
		return r, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return r, err
		}
		if bencode.Unmarshal(buf[:n], &r) == nil && r.T == string(tid[:]) {
			if r.Y != "r" {
				return r, fmt.Errorf("%s: %s query answered with y=%q", addr, method, r.Y)
			}
			return r, nil
		}
	}
}

// requireDHTNode waits until the DHT node at addr answers a ping with the
// given node ID.
func requireDHTNode(t *testing.T, addr string, id [20]byte, timeout time.Duration) {
	t.Helper()
	var last error
	ok := waitUntil(timeout, func() bool {
		r, err := krpcQuery(addr, "ping", map[string]any{})
		if err == nil && r.R.ID != string(id[:]) {
			err = fmt.Errorf("node id %x, want %x from its state file", r.R.ID, id)
		}
		last = err
		return err == nil
	})
	require.True(t, ok, "no DHT node answering pings on udp %s within %v: %v", addr, timeout, last)
}

// dhtStoredPeers asks one node for the peers it stores under infoHash.
func dhtStoredPeers(addr string, infoHash []byte) ([]string, error) {
	r, err := krpcQuery(addr, "get_peers", map[string]any{"info_hash": string(infoHash)})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range r.R.Values {
		if len(v) == 6 {
			ip := net.IP([]byte(v[:4]))
			out = append(out, net.JoinHostPort(ip.String(), strconv.Itoa(int(binary.BigEndian.Uint16([]byte(v[4:]))))))
		}
	}
	return out, nil
}

// requireDHTAnnounce waits until one of nodes returns peer among the peers
// it stores for infoHash: the peer's announce_peer has landed.
func requireDHTAnnounce(t *testing.T, infoHash, peer string, nodes []string, timeout time.Duration) {
	t.Helper()
	raw, err := hex.DecodeString(infoHash)
	require.NoError(t, err)
	seen := map[string]string{}
	ok := waitUntil(timeout, func() bool {
		for _, n := range nodes {
			peers, err := dhtStoredPeers(n, raw)
			if err != nil {
				seen[n] = err.Error()
				continue
			}
			seen[n] = fmt.Sprint(peers)
			for _, p := range peers {
				if p == peer {
					t.Logf("DHT node %s stores %s for %s", n, peer, infoHash)
					return true
				}
			}
		}
		return false
	})
	if !ok {
		var sb strings.Builder
		for _, n := range nodes {
			fmt.Fprintf(&sb, "\n  %s: %s", n, seen[n])
		}
		t.Fatalf("no DHT node stores %s for %s within %v; last get_peers answers:%s", peer, infoHash, timeout, sb.String())
	}
}
