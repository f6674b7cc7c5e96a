//go:build !js

package braid

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/dht"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/portmap"
	"github.com/braid-bt/braid/transport/tcp"
	"github.com/braid-bt/braid/transport/utp"
	"github.com/braid-bt/braid/transport/websocket"
)

// platform picks native defaults: TCP peers, files on disk, file records.
type platform struct{}

func newPlatform() platform { return platform{} }

func (platform) openState(dir string) (persist.StateStore, error) {
	return persist.NewFileStateStore(dir)
}

func (platform) listen(addr string) (listener, error) {
	l, err := tcp.Listen(addr)
	if err != nil {
		return listener{}, err
	}
	return listener{l: l, port: uint16(l.Addr().(*net.TCPAddr).Port), transport: tcp.Name}, nil
}

func (platform) dial(ctx context.Context, addr string) (net.Conn, error) {
	if websocket.IsURL(addr) {
		return websocket.Dial(ctx, addr)
	}
	return tcp.Dial(ctx, addr)
}

func (platform) readTorrentFile(path string) ([]byte, error) {
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
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed", ErrInvalidTorrent, path, fi.Size(), metainfo.MaxTorrentSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("torrent file: %w", err)
	}
	return data, nil
}

func (platform) openStorage(dir string, _ [20]byte, info *metainfo.Info) (openedStorage, error) {
	fs, err := persist.OpenFiles(dir, info, persist.FileOptions{})
	if err != nil {
		return openedStorage{}, fmt.Errorf("open data in %s: %w", dir, err)
	}
	has := false
	for _, s := range fs.FileStates() {
		if s.Size > 0 {
			has = true
			break
		}
	}
	return openedStorage{storage: fs, hasData: has}, nil
}

// listenUTP opens the uTP socket on the TCP listener's address: the same
// port number, over UDP (IPv4 unless the host is an IPv6 literal, as the
// DHT that shares it).
func (platform) listenUTP(addr string, logger *slog.Logger) (utpSocket, error) {
	if !utp.Available {
		return nil, utp.ErrUnavailable
	}
	s, err := utp.Listen(udpNetwork(addr), addr, logger)
	if err != nil {
		return nil, err
	}
	return s, nil
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

func (platform) openDHT(addr string, conn net.PacketConn, bootstrap []string, stateFile string, logger *slog.Logger) (dhtNode, error) {
	n, err := dht.New(dht.Config{Addr: addr, Conn: conn, BootstrapNodes: bootstrap, NoBootstrap: len(bootstrap) == 0,
		StateFile: stateFile, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("dht: %w", err)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = n.Bootstrap(ctx)
	}()
	return n, nil
}

func (platform) listenWS(addr string) (listener, error) {
	l, err := websocket.Listen(addr)
	if err != nil {
		return listener{}, fmt.Errorf("websocket listen: %w", err)
	}
	return listener{l: l, transport: websocket.Name, url: l.URL()}, nil
}

// classicTrackers: HTTP and UDP trackers find TCP peers.
func (platform) classicTrackers() bool { return true }

// hashWorkers: 0, one per core.
func (platform) hashWorkers() int { return 0 }

// mapPorts asks the router to forward the TCP listener's port and the UDP
// ports of uTP and the DHT; nil when the listener is on loopback.
func (platform) mapPorts(listenAddr string, tcpPort int, udpPorts []int, logger *slog.Logger) portMapper {
	if !portmap.Wanted(listenAddr) {
		return nil
	}
	ports := []portmap.Port{{Protocol: "TCP", Port: tcpPort}}
	for _, p := range udpPorts {
		ports = append(ports, portmap.Port{Protocol: "UDP", Port: p})
	}
	return nativeMapper{portmap.Start(portmap.Config{Ports: ports, Logger: logger})}
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
