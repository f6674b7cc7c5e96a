//go:build !js

package dht

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"golang.org/x/time/rate"
)

const (
	// maxLookups bounds concurrent Announce/GetPeers traversals; more wait.
	maxLookups = 32
	// maxLookupDuration ends a traversal a hostile network keeps feeding
	// with ever-closer fake nodes, whatever the caller's context says.
	maxLookupDuration = 2 * time.Minute
	// pingQueue and pingWorkers bound the AddNode pings in flight.
	pingQueue   = 64
	pingWorkers = 2
	// saveInterval writes the state file between Closes, so a crash loses
	// little of the table.
	saveInterval = 10 * time.Minute
	// maintainerGrace is how long Close waits for the library's table
	// maintainer, which finishes its current query (2 s at most) first.
	maintainerGrace = 3 * time.Second
	// Outbound queries and replies share this budget, per node.
	sendPerSecond = 250
	sendBurst     = 25
)

// Node is one DHT node on one UDP socket. It is safe for concurrent use.
type Node struct {
	cfg    Config
	logger *slog.Logger
	conn   *guardedConn
	srv    *dht.Server
	store  *peerStore
	v6     bool

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // lookups, ping workers, the keeper

	maintDone chan struct{}
	slots     chan struct{}
	pings     chan netip.AddrPort
	lookups   atomic.Int32

	bootMu     sync.Mutex
	bootCache  []dht.Addr
	bootCached time.Time

	saveMu    sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

// listen opens the node's UDP socket (or takes cfg.Conn) and names its
// network: "udp6" for an IPv6 address, "udp4" otherwise.
func listen(cfg Config) (net.PacketConn, string, error) {
	if cfg.Conn != nil {
		network := "udp4"
		if ua, ok := cfg.Conn.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil && len(ua.IP) == net.IPv6len {
			network = "udp6"
		}
		return cfg.Conn, network, nil
	}
	addr := cfg.Addr
	if addr == "" {
		addr = ":0"
	}
	network := "udp4"
	if host, _, err := net.SplitHostPort(addr); err != nil {
		return nil, "", fmt.Errorf("dht: listen address %q: %v: %w", addr, err, ErrInvalidAddr)
	} else if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		network = "udp6"
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return nil, "", fmt.Errorf("dht: listen %s: %w", addr, err)
	}
	return pc, network, nil
}

// New opens the UDP socket, loads the state file if any, and starts the
// node. The routing table is filled in the background; call Bootstrap to
// wait for it.
func New(cfg Config) (*Node, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, hp := range cfg.BootstrapNodes {
		if _, _, err := splitHostPort(hp); err != nil {
			return nil, err
		}
	}
	pc, network, err := listen(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		cfg:       cfg,
		logger:    logger,
		conn:      newGuardedConn(pc, logger),
		store:     newPeerStore(time.Now, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))),
		v6:        network == "udp6",
		ctx:       ctx,
		cancel:    cancel,
		maintDone: make(chan struct{}),
		slots:     make(chan struct{}, maxLookups),
		pings:     make(chan netip.AddrPort, pingQueue),
	}
	saved := n.loadState()
	scfg := dht.ServerConfig{
		NodeId:        saved.ID,
		Conn:          n.conn,
		StartingNodes: n.startingNodes,
		// BEP 42: nodes whose ID does not match their IP stay out of
		// the routing table and lookups (private and loopback addresses
		// are exempt); nodes without a secure ID (Transmission's, say)
		// still answer our queries and get answers.
		NoSecurity:  cfg.NoSecurity,
		PeerStore:   n.store,
		Logger:      libraryLogger(logger),
		DefaultWant: []krpc.Want{krpc.WantNodes},
		SendLimiter: rate.NewLimiter(sendPerSecond, sendBurst),
	}
	if n.v6 {
		scfg.DefaultWant = []krpc.Want{krpc.WantNodes6}
	}
	if scfg.NodeId == ([20]byte{}) {
		scfg.NodeId = krpc.RandomNodeID()
	}
	secureOwnID(&scfg.NodeId, pc.LocalAddr())
	n.conn.selfID = scfg.NodeId
	srv, err := dht.NewServer(&scfg)
	if err != nil {
		cancel()
		n.conn.Close()
		return nil, fmt.Errorf("dht: start: %w", err)
	}
	n.srv = srv
	added := 0
	for _, sn := range saved.Nodes {
		if sn.Addr.Addr().Is6() != n.v6 {
			continue
		}
		ni := krpc.NodeInfo{ID: sn.ID, Addr: krpc.NodeAddr{IP: net.IP(sn.Addr.Addr().AsSlice()), Port: int(sn.Addr.Port())}}
		if srv.AddNode(ni) == nil {
			added++
		}
	}
	if cfg.StateFile != "" {
		logger.Debug("dht: state loaded", "file", cfg.StateFile, "nodes", added)
	}
	go func() {
		defer close(n.maintDone)
		srv.TableMaintainer()
	}()
	n.wg.Add(pingWorkers)
	for range pingWorkers {
		go n.pingWorker()
	}
	n.wg.Add(1)
	go n.keeper()
	logger.Info("dht: listening", "addr", n.Addr(), "id", fmt.Sprintf("%x", n.ID()))
	return n, nil
}

// Addr is the local UDP address (the port to send in a BEP 5 PORT message).
func (n *Node) Addr() netip.AddrPort {
	if ua, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// ID is our node ID.
func (n *Node) ID() [20]byte { return n.srv.ID() }

// Stats is a snapshot of the routing table and traffic.
func (n *Node) Stats() Stats {
	ss := n.srv.Stats()
	hashes, peers := n.store.counts()
	return Stats{
		GoodNodes:        ss.GoodNodes,
		Nodes:            ss.Nodes,
		Outstanding:      ss.OutstandingTransactions,
		Lookups:          int(n.lookups.Load()),
		Announced:        ss.SuccessfulOutboundAnnouncePeerQueries,
		StoredInfoHashes: hashes,
		StoredPeers:      peers,
	}
}

// AddNode asks a node we heard of (a peer's PORT message, a magnet's
// x.pe, a user) for its ID; if it answers it joins the routing table. addr
// is an IP literal and port. The ping happens in the background; ErrBusy
// means too many are already queued.
func (n *Node) AddNode(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("dht: add node %q: %v: %w", addr, err, ErrInvalidAddr)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !usableNodeAddr(ap) {
		return fmt.Errorf("dht: add node %q: %w", addr, ErrInvalidAddr)
	}
	if ap.Addr().Is6() != n.v6 {
		return fmt.Errorf("dht: add node %q: wrong address family for %s: %w", addr, n.Addr(), ErrInvalidAddr)
	}
	if n.isClosed() {
		return ErrClosed
	}
	select {
	case n.pings <- ap:
		return nil
	default:
		return ErrBusy
	}
}

func (n *Node) pingWorker() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case ap := <-n.pings:
			// A reply adds the node to the table (the library does that
			// for every response it receives).
			res := n.srv.Query(n.ctx, udpAddr(ap), "ping", dht.QueryInput{})
			if res.Err != nil {
				n.logger.Debug("dht: ping", "addr", ap, "err", res.Err)
			}
		}
	}
}

// Close stops the node: running lookups end, the state file is written,
// the socket is closed. Later calls return the first result.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		n.mu.Unlock()
		n.cancel()
		var err error
		if n.cfg.StateFile != "" {
			err = n.saveState()
		}
		n.srv.Close()
		if cerr := n.conn.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
			err = fmt.Errorf("dht: close socket: %w", cerr)
		}
		n.wg.Wait()
		t := time.NewTimer(maintainerGrace)
		defer t.Stop()
		select {
		case <-n.maintDone:
		case <-t.C:
		}
		n.closeErr = err
	})
	return n.closeErr
}

func (n *Node) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// track registers a goroutine Close must wait for; false once closed.
func (n *Node) track() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}
