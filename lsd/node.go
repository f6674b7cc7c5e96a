package lsd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Timing of announces (BEP 14: at most one per torrent per minute).
const (
	DefaultAnnounceEvery = 5 * time.Minute
	minAnnounceEvery     = time.Minute
	// batchDelay gathers torrents joining together into one message.
	batchDelay = 200 * time.Millisecond
	// minRoundGap is the least time between two rounds of announces, for
	// every torrent together.
	minRoundGap = time.Second
	// foundBuffer is how many found peers wait for a slow reader; more
	// are dropped (the next announce brings them again).
	foundBuffer = 64
)

// Config says where a Node listens.
type Config struct {
	// Interface names the one interface to use; "" uses every interface
	// that is up and multicast-capable.
	Interface string
	// Port is the groups' port (default 6771, as BEP 14 says).
	Port int
	// NoIPv6 joins only the IPv4 group.
	NoIPv6 bool
	// AnnounceEvery is how often each torrent is announced again
	// (default 5 minutes, at least 1 minute).
	AnnounceEvery time.Duration
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// group is one family's socket and the interfaces it joined the group on.
type group struct {
	pc    net.PacketConn
	send  func(b []byte, ifi *net.Interface) error
	ifis  []net.Interface
	host  string // the Host header for this family
	label string
}

// Node announces torrents to the LAN and reports the peers that announce
// the same torrents.
type Node struct {
	cfg    Config
	cookie string
	groups []*group

	mu       sync.Mutex
	torrents map[[20]byte]*entry
	nextID   int

	kick chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

type entry struct {
	port uint16
	last time.Time // last announced; zero: never
	subs map[int]chan netip.AddrPort
}

// Start joins the IPv4 group (and the IPv6 one unless NoIPv6) on the
// interfaces Config names and starts announcing. It fails only when no
// group could be joined on any interface.
func Start(cfg Config) (*Node, error) {
	if cfg.Port == 0 {
		cfg.Port = 6771
	}
	if cfg.AnnounceEvery == 0 {
		cfg.AnnounceEvery = DefaultAnnounceEvery
	}
	cfg.AnnounceEvery = max(cfg.AnnounceEvery, minAnnounceEvery)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var c [8]byte
	_, _ = rand.Read(c[:])
	n := &Node{cfg: cfg, cookie: hex.EncodeToString(c[:]), torrents: make(map[[20]byte]*entry),
		kick: make(chan struct{}, 1), quit: make(chan struct{})}
	ifis, err := interfaces(cfg.Interface)
	if err != nil {
		return nil, err
	}
	var errs []error
	if g, err := joinV4(cfg.Port, ifis); err == nil {
		n.groups = append(n.groups, g)
	} else {
		errs = append(errs, err)
	}
	if !cfg.NoIPv6 {
		if g, err := joinV6(cfg.Port, ifis); err == nil {
			n.groups = append(n.groups, g)
		} else {
			errs = append(errs, err)
		}
	}
	if len(n.groups) == 0 {
		return nil, fmt.Errorf("lsd: %w", errors.Join(errs...))
	}
	for _, err := range errs {
		cfg.Logger.Debug("lsd: a group is left out", "err", err)
	}
	for _, g := range n.groups {
		n.wg.Add(1)
		go n.read(g)
	}
	n.wg.Add(1)
	go n.announceLoop()
	return n, nil
}

// interfaces are the up, multicast-capable interfaces (or the one named).
func interfaces(name string) ([]net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("lsd: interfaces: %w", err)
	}
	var out []net.Interface
	for _, ifi := range all {
		if (name == "" || ifi.Name == name) && ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
			out = append(out, ifi)
		}
	}
	if len(out) == 0 {
		if name != "" {
			return nil, fmt.Errorf("lsd: interface %q is not up or not multicast-capable", name)
		}
		return nil, errors.New("lsd: no multicast-capable interface")
	}
	return out, nil
}

func listen(network, addr string) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: reuse}
	return lc.ListenPacket(context.Background(), network, addr)
}

func joinV4(port int, ifis []net.Interface) (*group, error) {
	pc, err := listen("udp4", fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		return nil, err
	}
	p := ipv4.NewPacketConn(pc)
	gaddr := &net.UDPAddr{IP: net.IPv4(239, 192, 152, 143), Port: port}
	g := &group{pc: pc, host: fmt.Sprintf("239.192.152.143:%d", port), label: "IPv4"}
	for _, ifi := range ifis {
		if p.JoinGroup(&ifi, gaddr) == nil {
			g.ifis = append(g.ifis, ifi)
		}
	}
	if len(g.ifis) == 0 {
		_ = pc.Close()
		return nil, errors.New("joined the IPv4 group on no interface")
	}
	_ = p.SetMulticastLoopback(true) // other nodes on this host hear us
	_ = p.SetMulticastTTL(1)
	g.send = func(b []byte, ifi *net.Interface) error {
		if err := p.SetMulticastInterface(ifi); err != nil {
			return err
		}
		_, err := p.WriteTo(b, nil, gaddr)
		return err
	}
	return g, nil
}

func joinV6(port int, ifis []net.Interface) (*group, error) {
	pc, err := listen("udp6", fmt.Sprintf("[::]:%d", port))
	if err != nil {
		return nil, err
	}
	p := ipv6.NewPacketConn(pc)
	gaddr := &net.UDPAddr{IP: net.ParseIP("ff15::efc0:988f"), Port: port}
	g := &group{pc: pc, host: fmt.Sprintf("[ff15::efc0:988f]:%d", port), label: "IPv6"}
	for _, ifi := range ifis {
		if p.JoinGroup(&ifi, gaddr) == nil {
			g.ifis = append(g.ifis, ifi)
		}
	}
	if len(g.ifis) == 0 {
		_ = pc.Close()
		return nil, errors.New("joined the IPv6 group on no interface")
	}
	_ = p.SetMulticastLoopback(true)
	_ = p.SetMulticastHopLimit(1)
	g.send = func(b []byte, ifi *net.Interface) error {
		if err := p.SetMulticastInterface(ifi); err != nil {
			return err
		}
		_, err := p.WriteTo(b, nil, gaddr)
		return err
	}
	return g, nil
}

// Join announces infoHash with our peer port on the LAN (now, then every
// AnnounceEvery) and returns the peers found announcing it; leave stops
// both (the torrent is no longer announced once nobody has joined it).
// Never join a private torrent (BEP 27).
func (n *Node) Join(infoHash [20]byte, port int) (found <-chan netip.AddrPort, leave func()) {
	ch := make(chan netip.AddrPort, foundBuffer)
	n.mu.Lock()
	e := n.torrents[infoHash]
	if e == nil {
		e = &entry{subs: make(map[int]chan netip.AddrPort)}
		n.torrents[infoHash] = e
	}
	e.port = uint16(port)
	id := n.nextID
	n.nextID++
	e.subs[id] = ch
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			delete(e.subs, id)
			if len(e.subs) == 0 && n.torrents[infoHash] == e {
				delete(n.torrents, infoHash)
			}
		})
	}
}

// Close leaves the groups and stops announcing.
func (n *Node) Close() error {
	var errs []error
	n.once.Do(func() {
		close(n.quit)
		for _, g := range n.groups {
			errs = append(errs, g.pc.Close())
		}
		n.wg.Wait()
	})
	return errors.Join(errs...)
}

// announceLoop announces the torrents that are due, batched, with at
// least minRoundGap between rounds.
func (n *Node) announceLoop() {
	defer n.wg.Done()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-n.quit:
			return
		case <-tick.C:
		case <-n.kick:
			select { // let torrents starting together share a message
			case <-n.quit:
				return
			case <-time.After(batchDelay):
			}
		}
		n.announceDue(time.Now())
		select {
		case <-n.quit:
			return
		case <-time.After(minRoundGap):
		}
	}
}

// announceDue sends one message per port for every MaxInfoHashes
// torrents not announced within AnnounceEvery.
func (n *Node) announceDue(now time.Time) {
	byPort := make(map[uint16][][20]byte)
	n.mu.Lock()
	for ih, e := range n.torrents {
		if e.port != 0 && (e.last.IsZero() || now.Sub(e.last) >= n.cfg.AnnounceEvery) {
			e.last = now
			byPort[e.port] = append(byPort[e.port], ih)
		}
	}
	n.mu.Unlock()
	for port, hashes := range byPort {
		slices.SortFunc(hashes, func(a, b [20]byte) int { return slices.Compare(a[:], b[:]) })
		for chunk := range slices.Chunk(hashes, MaxInfoHashes) {
			for _, g := range n.groups {
				msg, err := Message{Host: g.host, Port: port, InfoHashes: chunk, Cookie: n.cookie}.Marshal()
				if err != nil {
					n.cfg.Logger.Warn("lsd: announce", "err", err)
					continue
				}
				for i := range g.ifis {
					if err := g.send(msg, &g.ifis[i]); err != nil {
						n.cfg.Logger.Debug("lsd: announce", "group", g.label, "interface", g.ifis[i].Name, "err", err)
					}
				}
			}
		}
	}
}

// read receives announces on g until Close, handing each peer that runs
// a torrent we joined to that torrent's subscribers.
func (n *Node) read(g *group) {
	defer n.wg.Done()
	buf := make([]byte, MaxMessageSize+1)
	for {
		nr, from, err := g.pc.ReadFrom(buf)
		if err != nil {
			select {
			case <-n.quit:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.cfg.Logger.Debug("lsd: read", "group", g.label, "err", err)
			select { // a passing error: go on listening, without spinning
			case <-n.quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		m, err := Parse(buf[:nr])
		if err != nil {
			n.cfg.Logger.Debug("lsd: ignored a datagram", "from", from, "err", err)
			continue
		}
		if m.Cookie == n.cookie {
			continue // our own announce, looped back
		}
		ua, ok := from.(*net.UDPAddr)
		if !ok {
			continue
		}
		src := ua.AddrPort()
		if !src.Addr().IsValid() || src.Addr().IsUnspecified() || src.Addr().IsMulticast() {
			continue // nobody to dial
		}
		peer := netip.AddrPortFrom(src.Addr().Unmap(), m.Port)
		n.deliver(m.InfoHashes, peer)
	}
}

func (n *Node) deliver(hashes [][20]byte, peer netip.AddrPort) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ih := range hashes {
		e := n.torrents[ih]
		if e == nil {
			continue
		}
		for _, ch := range e.subs {
			select {
			case ch <- peer:
			default: // a slow reader; the next announce brings the peer again
			}
		}
	}
}
