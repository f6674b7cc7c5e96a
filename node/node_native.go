//go:build !js

package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/dht"
	"github.com/braid-bt/braid/lsd"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/portmap"
	"github.com/braid-bt/braid/transport"
	"github.com/braid-bt/braid/transport/tcp"
	"github.com/braid-bt/braid/transport/utp"
	"github.com/braid-bt/braid/transport/websocket"
)

// platform: natively, files on disk.
type platform struct{}

// undo releases what New opened, newest first, if New fails.
type undo []func()

func (u *undo) add(f func()) { *u = append(*u, f) }

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// New opens the state directory, the TCP listener, the uTP socket on the
// same port number (over UDP), the DHT (on that socket when uTP is on),
// an IPv6 DHT beside it when the listener is on every interface, the
// port mapping, Local Service Discovery and the WebSocket listener, then
// starts the engine with them. uTP, the DHT and LSD are optional: when
// they cannot open, the node runs without them (and logs why). If anything else fails, all that was
// opened is released.
func New(cfg Config) (_ *Node, err error) {
	cfg.setDefaults()
	px, err := openProxy(&cfg) // strict mode turns off what the proxy cannot carry
	if err != nil {
		return nil, err
	}
	if err := cfg.checkOffline(); err != nil {
		return nil, err
	}
	var hc *http.Client
	if px != nil {
		hc = httpVia(px)
	}
	blocks, err := openBlocklist(cfg.Blocklist, hc)
	if err != nil {
		return nil, err
	}
	state, err := persist.NewFileStateStore(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("open state directory: %w", err)
	}
	n := &Node{cfg: cfg, state: state, httpc: hc}
	n.blocks.store(blocks)
	var opened undo
	defer func() {
		if err != nil {
			opened.run()
		}
	}()
	ecfg := cfg.Engine
	var ts []transport.Transport
	var sock *utp.Socket
	if !cfg.NoListen {
		l, err := tcp.Listen(cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		opened.add(func() { _ = l.Close() })
		n.addr = l.Addr().String()
		ecfg.Port = uint16(l.Port())
		ts = append(ts, l)
		if !cfg.NoUTP {
			// uTP takes the TCP listener's port number over UDP, as other
			// clients do; without it (a taken port, a build without cgo)
			// peers are reached over TCP alone.
			sock, err = listenUTP(udpAddr(cfg.ListenAddr, n.addr), cfg)
			if err != nil {
				cfg.Logger.Warn("uTP disabled", "err", err)
				sock = nil
			} else {
				opened.add(func() { _ = sock.Close() })
				ts = append(ts, sock)
			}
		}
	}
	var fallback transport.Dialer
	if sock != nil {
		fallback = sock // a peer that closes TCP early is tried over uTP
	}
	if px != nil {
		ts = append(ts, tcp.NewDialerVia(px.DialContext, fallback))
		ecfg.TrackerOptions, ecfg.WebSeedOptions = proxyOptions(px, hc)
		if !cfg.ProxyAllowDirect {
			ecfg.Port = strictPort(cfg.ListenAddr)
		}
	} else {
		ts = append(ts, tcp.NewDialer(fallback))
	}
	dhtAddr := n.openDHT(sock)
	if n.dht != nil {
		opened.add(func() { _ = n.dht.Close() })
	}
	if !cfg.NoPortMapping && !cfg.NoListen && portmap.Wanted(cfg.ListenAddr) {
		n.ports = mapPorts(cfg, int(ecfg.Port), n.udpPorts(sock, dhtAddr))
		if n.ports != nil {
			opened.add(n.ports.Close)
		}
	}
	if lsdWanted(cfg) {
		if l, err := lsd.Start(lsd.Config{Interface: cfg.LSDInterface, Logger: cfg.Logger}); err != nil {
			cfg.Logger.Warn("local service discovery disabled", "err", err)
		} else {
			n.lsd = l
			opened.add(func() { _ = l.Close() })
		}
	}
	if cfg.WSListenAddr != "" {
		wl, err := websocket.Listen(cfg.WSListenAddr)
		if err != nil {
			return nil, fmt.Errorf("websocket listen: %w", err)
		}
		opened.add(func() { _ = wl.Close() })
		n.wsURL = wl.URL()
		ts = append(ts, wl)
	}
	if px != nil {
		ts = append(ts, websocket.Dialer{Via: px.DialContext}) // ws:// peers through the proxy too
	} else {
		ts = append(ts, websocket.Dialer{})
	}
	n.startEngine(ecfg, ts, 0, true) // hash workers: one per core; HTTP and UDP trackers find TCP peers
	return n, nil
}

// lsdWanted: Local Service Discovery runs unless NoLSD, with a listener
// that LAN peers can reach (not bound to loopback).
func lsdWanted(cfg Config) bool {
	return !cfg.NoLSD && !cfg.NoListen && portmap.Wanted(cfg.ListenAddr)
}

// listenUTP opens the uTP socket on the TCP listener's address: the same
// port number, over UDP (IPv4 unless the host is an IPv6 literal, as the
// DHT that shares it).
func listenUTP(addr string, cfg Config) (*utp.Socket, error) {
	if !utp.Available {
		return nil, utp.ErrUnavailable
	}
	return utp.Listen(udpNetwork(addr), addr, cfg.Logger)
}

// openDHT starts the DHT unless NoDHT: on uTP's socket when there is one
// (one UDP port for both: what a router forwards and what peers learn
// from either), else on the listener's port number or DHTAddr; with an
// IPv6 node beside it when the listener is on every interface. A DHT that
// cannot start is logged and left out. It returns the DHT's address.
func (n *Node) openDHT(sock *utp.Socket) string {
	cfg := n.cfg
	if cfg.NoDHT {
		return ""
	}
	var shared net.PacketConn
	addr := cfg.DHTAddr
	if addr == "" {
		addr = cfg.ListenAddr
		if n.addr != "" {
			addr = udpAddr(cfg.ListenAddr, n.addr) // the port the TCP listener got
		}
		if sock != nil {
			addr, shared = sock.Addr().String(), sock.PacketConn()
		}
	}
	d, err := startDHT(addr, shared, cfg, "dht.dat")
	if err != nil {
		cfg.Logger.Warn("DHT disabled", "err", err)
		return addr
	}
	n.dht = d
	if v6 := n.openDHT6(addr); v6 != nil {
		n.dht = dht.Dual{V4: d, V6: v6}
	}
	return addr
}

// openDHT6 starts the IPv6 DHT (BEP 32) beside the IPv4 one when the
// listener is on every interface (no host given, as the CLI's ":6881"), on
// the same port number; nil when not wanted or IPv6 is not there.
func (n *Node) openDHT6(dhtAddr string) dht.Server {
	host, _, err := net.SplitHostPort(n.cfg.ListenAddr)
	if err != nil || host != "" || n.cfg.DHTAddr != "" || n.addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(dhtAddr)
	if err != nil {
		return nil
	}
	d, err := startDHT(net.JoinHostPort("::", port), nil, n.cfg, "dht6.dat")
	if err != nil {
		n.cfg.Logger.Debug("no IPv6 DHT", "err", err)
		return nil
	}
	return d
}

// startDHT runs a DHT node on addr (or conn), its table kept in the state
// directory, and bootstraps it in the background.
func startDHT(addr string, conn net.PacketConn, cfg Config, stateFile string) (*dht.Node, error) {
	d, err := dht.New(dht.Config{Addr: addr, Conn: conn, BootstrapNodes: cfg.DHTBootstrap,
		NoBootstrap: len(cfg.DHTBootstrap) == 0, StateFile: filepath.Join(cfg.StateDir, stateFile), Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("dht: %w", err)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = d.Bootstrap(ctx)
	}()
	return d, nil
}

// udpAddr is where the UDP sockets (uTP, the DHT) listen: the host the
// user gave for the TCP listener and the port it got. Not the listener's
// own address: a listener on ":6881" reports "[::]:6881", which would put
// the DHT on IPv6 alone, away from the IPv4 mainline DHT.
func udpAddr(listenAddr, tcpAddr string) string {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return tcpAddr
	}
	_, port, err := net.SplitHostPort(tcpAddr)
	if err != nil {
		return tcpAddr
	}
	return net.JoinHostPort(host, port)
}

// udpNetwork is "udp6" for an IPv6 literal host, "udp4" otherwise.
func udpNetwork(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
			return "udp6"
		}
	}
	return "udp4"
}

// udpPorts are the UDP ports to forward: uTP's and the DHT's (one port
// when they share it).
func (n *Node) udpPorts(sock *utp.Socket, dhtAddr string) []int {
	var addrs []string
	if sock != nil {
		addrs = append(addrs, sock.Addr().String())
	}
	if n.dht != nil {
		addrs = append(addrs, dhtAddr)
	}
	var ports []int
	for _, addr := range addrs {
		if _, p, err := net.SplitHostPort(addr); err == nil {
			if n, err := strconv.Atoi(p); err == nil && n > 0 && !slices.Contains(ports, n) {
				ports = append(ports, n)
			}
		}
	}
	return ports
}

// mapPorts asks the router to forward the TCP listener's port and the UDP
// ports of uTP and the DHT (Config.MapPorts, by default package portmap).
func mapPorts(cfg Config, tcpPort int, udpPorts []int) PortMapper {
	if cfg.MapPorts != nil {
		return cfg.MapPorts(tcpPort, udpPorts)
	}
	ports := []portmap.Port{{Protocol: "TCP", Port: tcpPort}}
	for _, p := range udpPorts {
		ports = append(ports, portmap.Port{Protocol: "UDP", Port: p})
	}
	return nativeMapper{portmap.Start(portmap.Config{Ports: ports, Logger: cfg.Logger})}
}

type nativeMapper struct{ m *portmap.Mapper }

func (n nativeMapper) Close() { n.m.Close() }

func (n nativeMapper) Status() PortMapping {
	st := n.m.Status()
	pm := PortMapping{Gateway: st.Gateway}
	if st.ExternalIP != nil {
		pm.ExternalIP = st.ExternalIP.String()
	}
	for _, p := range st.Mapped {
		pm.Ports = append(pm.Ports, fmt.Sprintf("%s %d", p.Protocol, p.Port))
	}
	if st.Err != nil {
		pm.Error = st.Err.Error()
	}
	return pm
}

func readTorrentFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("torrent file %s: no such file", path)
		}
		return nil, fmt.Errorf("torrent file: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("torrent file %s: is a directory", path)
	}
	if fi.Size() > metainfo.MaxTorrentSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed: %w", path, fi.Size(), metainfo.MaxTorrentSize, metainfo.ErrTooLarge)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("torrent file: %w", err)
	}
	return data, nil
}

// openStorage opens a torrent's files under dir; any with data counts.
func (platform) openStorage(dir string, _ [20]byte, info *metainfo.Info) (persist.Storage, bool, error) {
	fs, err := persist.OpenFiles(dir, info, persist.FileOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("open data in %s: %w", dir, err)
	}
	for _, s := range fs.FileStates() {
		if s.Size > 0 {
			return fs, true, nil
		}
	}
	return fs, false, nil
}
