// Package peers is Braid's peer book for one torrent: the addresses it may
// dial (candidates), when each is next due, which hosts are banned and
// which connections are open. It decides which candidates to dial, how
// long a failed or dropped one waits, and which of two connections to the
// same peer survives.
//
// It is sans-I/O: the caller passes the time in, dials the addresses Dials
// returns, reports how each attempt ended, and closes the connections the
// verdicts of Connected name. What it decides follows from the sequence of
// calls alone (never from Go's map order), so two books fed the same calls
// decide the same. A Book is not safe for concurrent use: the torrent's
// loop owns it.
package peers

import (
	"errors"
	"net/netip"
	"time"
)

// Source says where a candidate address came from.
type Source uint8

// Sources of candidates.
const (
	FromTracker Source = iota + 1
	FromDHT
	FromPEX
	// FromUser: the user named the peer (--peer, Spec.Peers). It is
	// dialled before others and retried for as long as the torrent runs.
	FromUser
	// FromListenPort: the listen port an incoming peer's extension
	// handshake named (see AddListenPort).
	FromListenPort
	// FromLSD: a peer on the LAN announced the torrent (BEP 14).
	FromLSD
	// FromHolepunch: a relay told us to connect to it (BEP 55); see Punch.
	FromHolepunch
)

func (s Source) String() string {
	switch s {
	case FromTracker:
		return "tracker"
	case FromDHT:
		return "dht"
	case FromPEX:
		return "pex"
	case FromUser:
		return "user"
	case FromListenPort:
		return "listen port"
	case FromLSD:
		return "lsd"
	case FromHolepunch:
		return "holepunch"
	}
	return "unknown"
}

// Defaults of Config.
const (
	DefaultMaxPeers      = 80
	DefaultMaxCandidates = 2000
)

// Config tunes a Book; zero fields take the defaults in brackets.
type Config struct {
	// Self is our peer id: of two connections to one peer, the one the
	// lower id initiated is kept.
	Self [20]byte
	// MaxPeers caps the torrent's connections, open or being dialled [80].
	MaxPeers int
	// MaxCandidates caps the addresses remembered [2000]. User-named
	// addresses are remembered beyond it.
	MaxCandidates int
	// Blocked, if set, refuses addresses whose IP it reports (an IP
	// blocklist): Add refuses them and Dials forgets them instead of
	// returning them, so a list that changes applies to candidates already
	// known. It is called with the IP as HostOf gives it (IPv4-mapped
	// IPv6 as IPv4); addresses without an IP (WebRTC peer ids, WebSocket
	// URLs naming a host) are not asked about.
	Blocked func(netip.Addr) bool
}

// Back-off. A failed dial waits fails²×15 s; a dropped connection waits
// 10 s, doubling with each drop in a row. Named candidates are retried for
// as long as the torrent runs, at least every maxWait; others are forgotten
// after maxFails failures or drops.
const (
	maxFails      = 5
	maxWait       = 5 * time.Minute
	dialFailWait  = 15 * time.Second
	closedWait    = 10 * time.Second
	bothSeedsWait = 30 * time.Minute // neither side needs the other
	// inFlightWait parks a candidate being dialled. Its report (a failure
	// or the end of its connection) sets the next due time; a connection
	// refused or replaced on arrival leaves it parked this long.
	inFlightWait = time.Hour
)

// ConnID is the caller's handle of a connection, unique within a torrent.
type ConnID int

// Book is one torrent's peer book. Make one with New.
type Book struct {
	cfg     Config
	cands   map[string]*candidate
	seq     uint64 // candidates ever added: their order of arrival
	banned  map[string]bool
	conns   map[ConnID]*conn
	byAddr  map[string]ConnID
	byPeer  map[[20]byte]ConnID
	dialing int
	halted  bool
	self    netip.AddrPort // our address as peers see it (SetSelf); invalid until known
}

type candidate struct {
	addr   string
	host   string
	ip     netip.Addr // the host's IP; invalid when it is a name or none
	source Source
	named  bool
	seq    uint64
	due    time.Time // not dialled before
	dialed time.Time // last handed out by Dials
	fails  int       // dial failures in a row
	closes int       // connections lost since the last dial failure
	prio   uint32    // BEP 40 rank with us, when ranked
	ranked bool
	// seedWait: its connection ended with both sides complete, so it
	// waits bothSeedsWait (until Wanting).
	seedWait bool
}

type conn struct {
	addr      string
	peer      [20]byte
	initiator bool
	prio      uint32 // BEP 40 rank with us, when ranked
	ranked    bool
}

// New returns an empty book.
func New(cfg Config) *Book {
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = DefaultMaxPeers
	}
	if cfg.MaxCandidates <= 0 {
		cfg.MaxCandidates = DefaultMaxCandidates
	}
	return &Book{
		cfg: cfg, cands: make(map[string]*candidate), banned: make(map[string]bool),
		conns: make(map[ConnID]*conn), byAddr: make(map[string]ConnID), byPeer: make(map[[20]byte]ConnID),
	}
}

// Add remembers addr as a candidate, due at once, and reports whether it
// is new. Addresses of banned or blocked hosts are refused, and past MaxCandidates
// all but user-named ones. A known address stays as it is, except that
// naming it (FromUser) makes it named.
func (b *Book) Add(addr string, src Source, now time.Time) bool {
	if c, ok := b.cands[addr]; ok {
		if src == FromUser {
			c.named, c.source = true, FromUser
		}
		return false
	}
	host := HostOf(addr)
	if b.banned[host] || (src != FromUser && len(b.cands) >= b.cfg.MaxCandidates) {
		return false
	}
	ip, _ := netip.ParseAddr(host)
	if b.blocked(ip) || b.isSelf(addr) {
		return false
	}
	b.seq++
	c := &candidate{addr: addr, host: host, ip: ip, source: src, named: src == FromUser, seq: b.seq, due: now}
	c.prio, c.ranked = b.priorityOf(addr)
	b.cands[addr] = c
	return true
}

// blocked asks Config.Blocked about ip, if it is one.
func (b *Book) blocked(ip netip.Addr) bool {
	return b.cfg.Blocked != nil && ip.IsValid() && b.cfg.Blocked(ip)
}

// AddListenPort remembers the listen port an incoming peer at remote
// ("ip:port", its ephemeral source port) named in its extension handshake,
// as the candidate ip:port. False when remote is no ip:port address
// (WebRTC, WebSocket), the port is out of range, or Add refuses it.
func (b *Book) AddListenPort(remote string, port int, now time.Time) bool {
	if port <= 0 || port > 65535 {
		return false
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	return b.Add(netip.AddrPortFrom(ap.Addr(), uint16(port)).String(), FromListenPort, now)
}

// Ban refuses host (as HostOf names it) from now on: its candidates are
// forgotten, and Add and Connected refuse it. Open connections are left to
// the caller.
func (b *Book) Ban(host string) {
	b.banned[host] = true
	for addr, c := range b.cands {
		if c.host == host {
			delete(b.cands, addr)
		}
	}
}

// Banned reports whether host is banned.
func (b *Book) Banned(host string) bool { return b.banned[host] }

// Halt ends the book's work when the torrent stops or fails: Dials returns
// nothing and Connected refuses every connection from then on.
func (b *Book) Halt() { b.halted = true }

// NumCandidates is the number of remembered addresses.
func (b *Book) NumCandidates() int { return len(b.cands) }

// NumConns is the number of open connections.
func (b *Book) NumConns() int { return len(b.conns) }

// NumDialing is the number of dials handed out and not yet reported back.
func (b *Book) NumDialing() int { return b.dialing }

// Candidate describes a remembered address.
type Candidate struct {
	Addr   string
	Source Source
	Named  bool
	Due    time.Time // not dialled before this
	Fails  int       // dial failures in a row
	Closes int       // connections lost since the last dial failure
}

// Candidate returns what the book knows of addr.
func (b *Book) Candidate(addr string) (Candidate, bool) {
	c, ok := b.cands[addr]
	if !ok {
		return Candidate{}, false
	}
	return Candidate{Addr: c.addr, Source: c.source, Named: c.named, Due: c.due, Fails: c.fails, Closes: c.closes}, true
}

// Reasons Connected refuses a connection.
var (
	ErrHalted    = errors.New("peers: torrent stopping")
	ErrSelf      = errors.New("peers: connected to ourselves")
	ErrBanned    = errors.New("peers: host banned")
	ErrDuplicate = errors.New("peers: already connected")
	ErrFull      = errors.New("peers: no room for another connection")
)
