//go:build !js

package node

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/dht"
	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/utp"
)

// fakeMapper stands in for the router: it records what it was asked to
// forward and whether it was closed.
type fakeMapper struct {
	mu     sync.Mutex
	tcp    int
	udp    []int
	closed int
}

func (m *fakeMapper) Status() PortMapping {
	return PortMapping{Gateway: "fake", Ports: []string{"TCP " + strconv.Itoa(m.tcp)}}
}

func (m *fakeMapper) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed++
}

func (m *fakeMapper) closes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// mapping returns a MapPorts that hands out one fakeMapper, and where to
// find it once asked.
func mapping() (func(int, []int) PortMapper, **fakeMapper) {
	var m *fakeMapper
	return func(tcp int, udp []int) PortMapper {
		m = &fakeMapper{tcp: tcp, udp: udp}
		return m
	}, &m
}

// wildcardConfig is a node on every interface (":0", as the CLI's ":6881"
// but with a free port), with its DHT and uTP, asking the fake router for
// its ports. Nothing leaves the machine: no DHT bootstrap nodes, no WebRTC,
// no Local Service Discovery.
func wildcardConfig(t *testing.T) (Config, **fakeMapper) {
	mapPorts, m := mapping()
	return Config{StateDir: t.TempDir(), ListenAddr: ":0", NoWebRTC: true, MapPorts: mapPorts, NoLSD: true}, m
}

func hasIPv6(t *testing.T) bool {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback here (%v)", err)
		return false
	}
	_ = pc.Close()
	return true
}

// requireFree asserts nothing holds the node's TCP port and UDP ports any
// more: each binds again, on every interface and both UDP families.
func requireFree(t *testing.T, tcpPort int, udpPorts []int) {
	t.Helper()
	l, err := net.Listen("tcp", ":"+strconv.Itoa(tcpPort))
	require.NoError(t, err, "the TCP port is still held")
	_ = l.Close()
	v6 := hasIPv6(t)
	for _, p := range udpPorts {
		pc, err := net.ListenPacket("udp4", ":"+strconv.Itoa(p))
		require.NoError(t, err, "UDP port %d (uTP, the DHT) is still held", p)
		_ = pc.Close()
		if v6 {
			pc, err := net.ListenPacket("udp6", "[::]:"+strconv.Itoa(p))
			require.NoError(t, err, "UDP port %d (the IPv6 DHT) is still held", p)
			_ = pc.Close()
		}
	}
}

// A WebSocket listener that cannot open (its address is taken) fails New
// after the TCP listener, uTP, both DHTs and the port mapping were opened:
// every one of them is released.
func TestFailedNewReleasesEverything(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cfg, m := wildcardConfig(t)
	cfg.WSListenAddr = taken.Addr().String()

	n, err := New(cfg)
	require.ErrorContains(t, err, "websocket listen")
	require.Nil(t, n)
	require.NotNil(t, *m, "the port mapping was asked for before the WebSocket listener")
	assert.Equal(t, 1, (*m).closes(), "the port mapper was closed")
	require.NotEmpty(t, (*m).udp, "uTP or the DHT had a UDP port")
	requireFree(t, (*m).tcp, (*m).udp)
}

// A failure before anything opened leaves nothing either: a taken TCP
// port fails New at once.
func TestFailedListenOpensNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cfg, m := wildcardConfig(t)
	cfg.ListenAddr = taken.Addr().String()
	_, err = New(cfg)
	require.ErrorContains(t, err, "listen")
	assert.Nil(t, *m)
}

// Close releases the same: the DHT, the listeners, the router's forwards.
func TestCloseReleasesEverything(t *testing.T) {
	cfg, m := wildcardConfig(t)
	n, err := New(cfg)
	require.NoError(t, err)
	require.NotNil(t, *m)
	pm, ok := n.PortMapping()
	require.True(t, ok)
	assert.Equal(t, "fake", pm.Gateway)
	assert.Zero(t, (*m).closes())
	require.NoError(t, n.Close())
	require.NoError(t, n.Close(), "a second Close is harmless")
	assert.Equal(t, 1, (*m).closes(), "the forwards are removed once")
	requireFree(t, (*m).tcp, (*m).udp)
}

// The router is asked only when outside peers could reach the listener:
// never on loopback, never with NoPortMapping. It is asked for the TCP
// port and the one UDP port uTP and the DHT share, the same number.
func TestPortMappingOnlyForReachableListeners(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"loopback":      func(c *Config) { c.ListenAddr = "127.0.0.1:0" },
		"NoPortMapping": func(c *Config) { c.NoPortMapping = true },
		"NoListen":      func(c *Config) { c.NoListen = true },
	} {
		cfg, m := wildcardConfig(t)
		edit(&cfg)
		n, err := New(cfg)
		require.NoError(t, err, name)
		_, ok := n.PortMapping()
		assert.False(t, ok, name)
		assert.Nil(t, *m, "%s: the router was asked", name)
		require.NoError(t, n.Close())
	}

	for _, noUTP := range []bool{false, true} {
		cfg, m := wildcardConfig(t)
		cfg.NoUTP = noUTP
		n, err := New(cfg)
		require.NoError(t, err)
		_, port, err := net.SplitHostPort(n.ListenAddr())
		require.NoError(t, err)
		require.NotNil(t, *m)
		assert.Equal(t, port, strconv.Itoa((*m).tcp))
		assert.Equal(t, []int{(*m).tcp}, (*m).udp, "no uTP %v: one UDP port, the TCP port's number", noUTP)
		require.NoError(t, n.Close())
	}
}

// A listener on all interfaces (":0", the CLI's ":6881") reports "[::]"
// as its host; the UDP port beside it must still be IPv4: the mainline DHT
// and most uTP peers are IPv4. Over 127.0.0.1 a DHT node and a uTP dial
// reach the node, and over ::1 its IPv6 DHT (BEP 32), on the same port.
func TestWildcardListenIsReachableOverIPv4UDP(t *testing.T) {
	cfg, _ := wildcardConfig(t)
	cfg.NoPortMapping = true
	n, err := New(cfg)
	require.NoError(t, err)
	defer n.Close()
	_, port, err := net.SplitHostPort(n.ListenAddr())
	require.NoError(t, err)
	v4 := net.JoinHostPort("127.0.0.1", port)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	node, err := dht.New(dht.Config{Addr: "127.0.0.1:0", BootstrapNodes: []string{v4}, NoBootstrap: true})
	require.NoError(t, err)
	defer node.Close()
	require.NoError(t, node.Bootstrap(ctx), "the node's DHT answers on IPv4")

	if hasIPv6(t) {
		node6, err := dht.New(dht.Config{Addr: "[::1]:0", BootstrapNodes: []string{net.JoinHostPort("::1", port)}, NoBootstrap: true})
		require.NoError(t, err)
		defer node6.Close()
		require.NoError(t, node6.Bootstrap(ctx), "the node's IPv6 DHT answers")
	}

	if !utp.Available {
		t.Log("no uTP in this build")
		return
	}
	s, err := utp.Listen("udp4", "127.0.0.1:0", nil)
	require.NoError(t, err)
	defer s.Close()
	c, err := s.Dial(ctx, v4)
	require.NoError(t, err, "uTP answers on IPv4")
	_ = c.Close()
}

func TestUDPAddr(t *testing.T) {
	for _, tc := range []struct{ listen, got, want, network string }{
		{":0", "[::]:6881", ":6881", "udp4"},
		{"127.0.0.1:0", "127.0.0.1:7000", "127.0.0.1:7000", "udp4"},
		{"[::1]:0", "[::1]:7000", "[::1]:7000", "udp6"},
		{"[::ffff:127.0.0.1]:0", "127.0.0.1:7000", "[::ffff:127.0.0.1]:7000", "udp4"},
		{"bad", "[::]:6881", "[::]:6881", "udp6"},
	} {
		got := udpAddr(tc.listen, tc.got)
		assert.Equal(t, tc.want, got, tc.listen)
		assert.Equal(t, tc.network, udpNetwork(got), got)
	}
}

// fakeDHT notes whether the engine's listener was still open when it
// closed.
type fakeDHT struct {
	dht.Server
	listener   net.Listener
	openAtStop bool
}

func (f *fakeDHT) Close() error {
	c, err := net.Dial("tcp", f.listener.Addr().String())
	if err == nil {
		f.openAtStop = true
		_ = c.Close()
	}
	return nil
}

type fakeAcceptor struct{ net.Listener }

func (fakeAcceptor) Name() string             { return "fake" }
func (fakeAcceptor) Traits() transport.Traits { return transport.Traits{} }

// The DHT stops before the engine closes the listeners (it may share
// uTP's socket, and saves its table while that still works); the router's
// forwards go last.
func TestCloseOrder(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d := &fakeDHT{listener: l}
	m := &fakeMapper{}
	n := &Node{dht: d, ports: m,
		eng: engine.New(engine.Config{HashWorkers: 1, Transports: []transport.Transport{fakeAcceptor{l}}})}
	require.NoError(t, n.Close())
	assert.True(t, d.openAtStop, "the DHT closed after the listeners")
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed, "the engine closed its listener")
	assert.Equal(t, 1, m.closes())
}

func TestReadTorrentFile(t *testing.T) {
	n := &Node{}
	dir := t.TempDir()
	_, err := n.ReadTorrentFile(filepath.Join(dir, "missing.torrent"))
	require.ErrorContains(t, err, "no such file")
	_, err = n.ReadTorrentFile(dir)
	require.ErrorContains(t, err, "is a directory")

	big := filepath.Join(dir, "big.torrent")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(metainfo.MaxTorrentSize+1)) // sparse
	require.NoError(t, f.Close())
	_, err = n.ReadTorrentFile(big)
	require.ErrorIs(t, err, metainfo.ErrTooLarge)

	ok := filepath.Join(dir, "ok.torrent")
	require.NoError(t, os.WriteFile(ok, []byte("d4:infod...e"), 0o644))
	data, err := n.ReadTorrentFile(ok)
	require.NoError(t, err)
	assert.Equal(t, []byte("d4:infod...e"), data)
}

// Natively a torrent's storage is its files under the directory given;
// data already there is reported, to be verified.
func TestOpenStorage(t *testing.T) {
	n := &Node{}
	raw, err := metainfo.Create(metainfo.CreateOptions{Files: []metainfo.FileSpec{{Path: []string{"f.bin"}, Length: 100}},
		SingleFile: true, PieceLength: 16 << 10}, bytes.NewReader(make([]byte, 100)))
	require.NoError(t, err)
	mi, err := metainfo.Parse(raw)
	require.NoError(t, err)
	dir := t.TempDir()

	st, has, err := n.OpenStorage(dir, mi.InfoHash, mi.Info)
	require.NoError(t, err)
	assert.False(t, has, "nothing there yet")
	_, err = st.WriteAt([]byte("data"), 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st, has, err = n.OpenStorage(dir, mi.InfoHash, mi.Info)
	require.NoError(t, err)
	assert.True(t, has)
	require.NoError(t, st.Close())
	_, err = os.Stat(filepath.Join(dir, "f.bin"))
	require.NoError(t, err)
}

// TestLSDOnlyOffLoopback: Local Service Discovery is wanted only with a
// listener LAN peers can reach, and never with NoLSD or no listener; a
// node on loopback runs none.
func TestLSDOnlyOffLoopback(t *testing.T) {
	for addr, want := range map[string]bool{":6881": true, "0.0.0.0:0": true, "192.168.1.5:6881": true,
		"127.0.0.1:0": false, "[::1]:0": false} {
		assert.Equal(t, want, lsdWanted(Config{ListenAddr: addr}), addr)
		assert.False(t, lsdWanted(Config{ListenAddr: addr, NoLSD: true}), addr)
		assert.False(t, lsdWanted(Config{ListenAddr: addr, NoListen: true}), addr)
	}
	n, err := New(Config{StateDir: t.TempDir(), ListenAddr: "127.0.0.1:0", NoWebRTC: true, NoDHT: true})
	require.NoError(t, err)
	defer n.Close()
	assert.Nil(t, n.lsd)
}
