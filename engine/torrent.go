package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/pex"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/tracker"
	"github.com/braid-bt/braid/transport/tcp/mse"
)

// State is a torrent's life-cycle stage.
type State string

// Torrent states, as reported by Stats.
const (
	StateMetadata    State = "fetching metadata"
	StateChecking    State = "checking"
	StateDownloading State = "downloading"
	StateSeeding     State = "seeding"
	StateStopped     State = "stopped"
	StateError       State = "error"
)

// ErrExists is returned when a torrent with the same info hash is active.
var ErrExists = errors.New("torrent already active")

// Spec describes a torrent to start.
type Spec struct {
	InfoHash  [20]byte
	Info      *metainfo.Info
	InfoBytes []byte
	Tiers     [][]string
	URLList   []string
	SavePath  string
	Storage   persist.Storage
	State     persist.StateStore
	// Record is the loaded resume record, if any: its pieces are verified
	// on disk before the torrent starts.
	Record *persist.Record
	// CheckAll verifies every piece before starting (no record, data may exist).
	CheckAll bool
	// Trusted skips start-up verification and takes every piece as present:
	// the data was hashed moments ago to create the torrent (Client.Seed).
	Trusted bool
	Peers   []string
	// Name is shown until the info dictionary is known (magnet dn).
	Name string
	// OpenStorage opens the data of a torrent started from a magnet once
	// its info dictionary has arrived; hasData says whether to check it.
	OpenStorage func(info *metainfo.Info) (st persist.Storage, hasData bool, err error)
	// SelectOnly limits the download to these file indices (BEP 53 so=).
	SelectOnly []int
}

// CheckResult reports the start-up verification of data on disk.
type CheckResult struct {
	Checked, Valid, Invalid int
}

// Torrent is one running torrent. Its state belongs to the loop goroutine;
// other goroutines reach it through post and do.
type Torrent struct {
	e         *Engine
	ih        [20]byte
	info      *metainfo.Info
	spec      Spec
	storage   persist.Storage
	events    chan event
	loopDone  chan struct{}
	quit      chan struct{}
	quitOnce  sync.Once
	checked   chan struct{}
	checkOnce sync.Once
	// infoAtStart is the info dictionary the torrent was added with (nil
	// for a magnet); never written again, so any goroutine may read it.
	infoAtStart *metainfo.Info
	completed   chan struct{}
	announcer   *tracker.Announcer
	annCancel   context.CancelFunc
	annDone     chan struct{}
	annMu       sync.Mutex
	signals     *signalSet
	addedAt     time.Time

	// Read by other goroutines.
	state       atomic.Value // State
	errv        atomic.Value // error
	check       CheckResult
	uploaded    atomic.Int64
	downloaded  atomic.Int64
	left        atomic.Int64
	filesLen    atomic.Int64 // Info().FilesLength(), once the info is known
	completedAt atomic.Int64
	metaPeers   atomic.Int64 // connected peers while fetching metadata
	numPeers    atomic.Int64 // connected peers, for signallers deciding to offer
	private     atomic.Bool  // BEP 27: no DHT, no PEX
	idsMu       sync.RWMutex // the loop's writes to byID; others read under it
	req2        [20]byte     // MSE's HASH('req2', info hash), to find us by

	// Owned by the loop.
	fetcher    *metadata.Fetcher
	meta       map[session.PeerID]*metaPeer
	pexIn      *pex.Inbox
	pexOut     *pex.Outbox
	startHave  *bitfield.Bitfield
	sess       *session.Session
	peers      map[session.PeerID]*peerConn
	byAddr     map[string]session.PeerID
	byID       map[[20]byte]session.PeerID // written under idsMu, for connectedTo
	nextID     session.PeerID
	candidates map[string]*candidate
	dialing    int
	banned     map[string]bool
	lastSave   time.Time
	baseUp     int64
	baseDown   int64
	stopping   bool
	halt       bool // a disk error stopped the torrent; wind down after this event
	savedHave  int  // what the last saved record held
	savedUp    int64
	savedDown  int64

	dw     *diskWriter // started by the first received block
	msgBuf *[]byte     // the message being handled; WriteBlock takes it
}

type candidate struct {
	next   time.Time
	fails  int // dial failures in a row
	closes int // connections lost without a ban, since the last dial failure
	dialed time.Time
	named  bool // the user named it (Spec.Peers): never given up on
}

// Candidate back-off. A failed dial waits fails²×15 s; a dropped connection
// waits 10 s, doubling with each drop in a row. Named peers are retried for
// as long as the torrent runs, at least every maxCandidateWait; others are
// forgotten after maxCandidateFails failures or drops.
const (
	maxCandidateFails = 5
	maxCandidateWait  = 5 * time.Minute
	closedWait        = 10 * time.Second
	bothSeedsWait     = 30 * time.Minute // neither side needs the other
)

// AddTorrent starts a torrent: it verifies data on disk, then downloads or
// seeds until stopped.
func (e *Engine) AddTorrent(spec Spec) (*Torrent, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if _, ok := e.torrents[spec.InfoHash]; ok {
		return nil, ErrExists
	}
	t := &Torrent{
		e: e, ih: spec.InfoHash, info: spec.Info, infoAtStart: spec.Info, spec: spec, storage: spec.Storage,
		events: make(chan event, 256), loopDone: make(chan struct{}), quit: make(chan struct{}),
		checked: make(chan struct{}), completed: make(chan struct{}),
		peers: make(map[session.PeerID]*peerConn), byAddr: make(map[string]session.PeerID),
		byID:       make(map[[20]byte]session.PeerID),
		candidates: make(map[string]*candidate), banned: make(map[string]bool),
		addedAt: time.Now(), req2: mse.Req2(spec.InfoHash),
		pexIn: pex.NewInbox(), pexOut: pex.NewOutbox(),
	}
	t.state.Store(StateChecking)
	if spec.Info == nil {
		t.state.Store(StateMetadata)
	}
	if r := spec.Record; r != nil {
		t.baseUp, t.baseDown = r.Uploaded, r.Downloaded
		if r.AddedAt > 0 {
			t.addedAt = time.Unix(r.AddedAt, 0)
		}
	}
	if spec.Info != nil {
		t.private.Store(spec.Info.Private)
		t.setLength(spec.Info)
	} else {
		t.left.Store(1) // unknown until the metadata arrives; not zero, which means "seed"
	}
	e.torrents[spec.InfoHash] = t
	go t.run()
	return t, nil
}

// InfoHash identifies the torrent.
func (t *Torrent) InfoHash() [20]byte { return t.ih }

// Info is the torrent's info dictionary; nil while a magnet torrent is
// still fetching it.
func (t *Torrent) Info() *metainfo.Info {
	var info *metainfo.Info
	select {
	case <-t.checked:
		info = t.info
	default:
		// t.info and t.spec belong to the loop until checked closes.
		info = t.infoAtStart
	}
	return info
}

// Name is the torrent's name, or the magnet's display name before the
// metadata arrives.
func (t *Torrent) Name() string {
	if info := t.Info(); info != nil {
		return info.Name
	}
	if t.spec.Name != "" {
		return t.spec.Name
	}
	return fmt.Sprintf("%x", t.ih)
}

func (t *Torrent) closeChecked() { t.checkOnce.Do(func() { close(t.checked) }) }

// SavePath is the directory holding the torrent's data.
func (t *Torrent) SavePath() string { return t.spec.SavePath }

// State is the current life-cycle stage.
func (t *Torrent) State() State { return t.state.Load().(State) }

// Err is the error that stopped the torrent, if any.
func (t *Torrent) Err() error {
	if v, ok := t.errv.Load().(error); ok {
		return v
	}
	return nil
}

// Checked is closed once start-up verification is over.
func (t *Torrent) Checked() <-chan struct{} { return t.checked }

// CheckResult is valid once Checked is closed.
func (t *Torrent) CheckResult() CheckResult {
	<-t.checked
	return t.check
}

// Completed is closed when every wanted piece is verified.
func (t *Torrent) Completed() <-chan struct{} { return t.completed }

// Stopped is closed when the torrent's loop has ended.
func (t *Torrent) Stopped() <-chan struct{} { return t.loopDone }

// event is anything the loop reacts to.
type event interface{}

type (
	evMessage struct {
		peer *peerConn
		msg  wire.Message
		buf  *[]byte
	}
	evPeerClosed struct {
		peer *peerConn
		err  error
	}
	evConnected  struct{ pc pendingConn }
	evDialFailed struct {
		addr string
		err  error
	}
	evHashed struct {
		piece int
		ok    bool
		sums  []uint64 // of a piece that failed: session.BlockSums
		err   error
	}
	evPeers struct{ addrs []string }
	evCmd   struct {
		fn   func()
		done chan struct{}
	}
)

// pendingConn is a handshaken connection waiting to join a torrent.
type pendingConn struct {
	conn      net.Conn
	addr      string
	transport string
	outgoing  bool // we dialled it (counts against our dials in progress)
	initiator bool // our side opened it: we dialled, or made the WebRTC offer
	hs        wire.Handshake
}

// post hands an event to the loop; false once the torrent has stopped.
func (t *Torrent) post(ev event) bool {
	select {
	case t.events <- ev:
		return true
	case <-t.quit:
		return false
	}
}

// do runs fn on the loop and waits; false if the torrent has stopped.
func (t *Torrent) do(fn func()) bool {
	done := make(chan struct{})
	if !t.post(evCmd{fn: fn, done: done}) {
		return false
	}
	select {
	case <-done:
		return true
	case <-t.loopDone:
		return false
	}
}

func (t *Torrent) fail(err error) {
	if t.Err() == nil {
		t.errv.Store(err)
	}
	t.state.Store(StateError)
	t.e.cfg.Logger.Error("torrent stopped", "name", t.Name(), "err", err)
}

func (t *Torrent) run() {
	defer close(t.loopDone)
	defer t.closeChecked()
	defer t.closeWriter()
	now := time.Now()
	if t.info != nil {
		if !t.verifyOnDisk() {
			return
		}
		// The session and its state first: whoever waits on Checked then
		// sees Downloading or Seeding, never Checking.
		t.startSession(now)
		t.closeChecked()
	} else {
		t.fetcher = metadata.NewFetcher(t.ih)
		t.meta = make(map[session.PeerID]*metaPeer)
	}
	t.startAnnouncer()
	t.runDHT()
	for _, a := range t.spec.Peers {
		t.addCandidate(a)
	}
	t.fillPeers(now)

	ticks, unsubscribe := t.e.clock.subscribe()
	defer unsubscribe()
	for {
		select {
		case ev := <-t.events:
			t.handle(ev)
			// Drain what is already queued before the next timer check:
			// blocks arrive in bursts.
			for i := 0; i < 64; i++ {
				select {
				case ev := <-t.events:
					t.handle(ev)
					continue
				default:
				}
				break
			}
		case now := <-ticks:
			t.onTick(now)
		case <-t.quit:
			t.closeAllPeers()
			t.drain()
			return
		}
		t.flushWrites()
		if t.halt {
			t.halt = false
			now := time.Now()
			t.sess.Stop(now)
			t.closeAllPeers()
			t.saveRecord(now)
		}
		if t.stopping {
			t.closeAllPeers()
			t.drain()
			return
		}
	}
}

// drain releases buffers of events that will never be handled and closes
// connections that raced with shutdown.
func (t *Torrent) drain() {
	for {
		select {
		case ev := <-t.events:
			switch ev := ev.(type) {
			case evMessage:
				putBuf(ev.buf)
			case evConnected:
				_ = ev.pc.conn.Close()
			case evCmd:
				close(ev.done)
			}
		default:
			return
		}
	}
}

// startSession creates the state machine once the info dictionary is known
// and its data checked.
func (t *Torrent) startSession(now time.Time) {
	cfg := session.Config{
		Rand:           rand.New(rand.NewPCG(uint64(now.UnixNano()), uint64(t.ih[0])<<8|uint64(t.ih[1]))),
		ExtHandshake:   t.extHandshake(),
		MaxOutstanding: maxOutstanding(t.e.cfg.DownloadRate),
	}
	t.sess = session.New(t.info, t.startHave, cfg, (*torrentOut)(t), now)
	t.startHave = nil
	switch rec := t.spec.Record; {
	case len(t.spec.SelectOnly) > 0:
		sel := make(map[int]bool, len(t.spec.SelectOnly))
		for _, f := range t.spec.SelectOnly {
			sel[f] = true
		}
		for f := range t.info.Files {
			if !sel[f] {
				t.sess.SetFilePriority(f, picker.PriorityNone)
			}
		}
	case rec != nil && len(rec.FilePriorities) == len(t.info.Files):
		// The choice of files made when the torrent was added outlives a
		// restart; a value no priority has counts as normal.
		for f, pr := range rec.FilePriorities {
			if pr >= int(picker.PriorityNone) && pr <= int(picker.PriorityNow) && picker.Priority(pr) != picker.PriorityNormal {
				t.sess.SetFilePriority(f, picker.Priority(pr))
			}
		}
	}
	if t.sess.Complete() {
		t.markComplete(now, false)
	} else {
		t.state.Store(StateDownloading)
	}
	t.publish(now)
	// A record from the first second on: after a crash the restart knows
	// the torrent and its save path even if no later save happened.
	t.saveRecord(now)
	if !t.sess.Complete() {
		t.startWebSeeds()
	}
}

// maxOutstanding is the requests a torrent keeps in flight under a
// download rate limit: downloadQueueTime's worth at that rate, at least
// four blocks (0, no cap, without a limit).
func maxOutstanding(downloadRate int64) int {
	if downloadRate <= 0 {
		return 0
	}
	return max(4, int(downloadRate*int64(downloadQueueTime/time.Second)/wire.BlockSize))
}

// downloadQueueTime is how long the requests in flight take to arrive
// under a download rate limit: long enough to keep peers busy, well short
// of the session's request timeout.
const downloadQueueTime = 4 * time.Second

func (t *Torrent) handle(ev event) {
	now := time.Now()
	switch ev := ev.(type) {
	case evMessage:
		t.msgBuf = ev.buf
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			if ev.msg.Type == wire.Port && !ev.msg.KeepAlive {
				t.onPortMessage(p, ev.msg.Port)
			}
			if t.sess == nil {
				t.metaMessage(p, &ev.msg, now)
			} else {
				t.sess.Message(p.id, &ev.msg, now)
			}
		}
		if t.msgBuf != nil {
			putBuf(t.msgBuf)
			t.msgBuf = nil
		}
	case evPeerClosed:
		if p, ok := t.peers[ev.peer.id]; ok && p == ev.peer {
			t.e.cfg.Logger.Debug("peer closed", "addr", p.addr, "transport", p.transport, "err", ev.err)
			t.dropPeer(p)
			t.onPeerClosed(p.addr, ev.err, now)
			if t.sess == nil {
				t.metaClosed(p)
			} else {
				t.rememberListener(p)
				t.sess.RemovePeer(p.id, now)
			}
			t.fillPeers(now)
		}
	case evConnected:
		t.onConnected(ev.pc, now)
	case evDialFailed:
		t.dialing--
		t.e.cfg.Logger.Debug("dial failed", "addr", ev.addr, "err", ev.err)
		if c, ok := t.candidates[ev.addr]; ok {
			c.fails++
			c.closes = 0
			wait := time.Duration(c.fails*c.fails) * 15 * time.Second
			if c.named {
				wait = min(wait, maxCandidateWait)
			}
			c.next = now.Add(wait)
			if (c.fails >= maxCandidateFails && !c.named) || errors.Is(ev.err, errSelf) {
				delete(t.candidates, ev.addr)
			}
		}
	case evHashed:
		if t.sess == nil {
			return
		}
		if ev.err != nil && !errors.Is(ev.err, errHasherClosed) {
			t.e.cfg.Logger.Debug("hash read", "piece", ev.piece, "err", ev.err)
		}
		t.sess.PieceHashed(ev.piece, ev.ok, ev.sums, now)
		t.publish(now)
	case evPeers:
		for _, a := range ev.addrs {
			t.addCandidate(a)
		}
		t.fillPeers(now)
	case evCmd:
		ev.fn()
		close(ev.done)
	}
}

func (t *Torrent) onTick(now time.Time) {
	if t.sess == nil {
		t.requestMetadata(now)
		t.fillPeers(now)
		return
	}
	t.sess.Tick(now)
	t.sendPEX(now)
	t.publish(now)
	t.fillPeers(now)
	if now.Sub(t.lastSave) >= recordEvery && t.recordChanged() {
		t.saveRecord(now)
	}
}

// recordChanged reports whether a periodic save would write anything new:
// idle torrents (most of a seedbox) then cost no disk writes at all.
func (t *Torrent) recordChanged() bool {
	return t.sess.Have().Count() != t.savedHave || t.uploaded.Load() != t.savedUp ||
		t.downloaded.Load() != t.savedDown
}

// publish copies counters other goroutines (trackers, stats) read.
func (t *Torrent) publish(now time.Time) {
	if t.sess == nil {
		return
	}
	st := t.sess.Stats(now)
	t.uploaded.Store(t.baseUp + st.Uploaded)
	t.downloaded.Store(t.baseDown + st.Downloaded)
	t.left.Store(st.Left)
}

func (t *Torrent) onConnected(pc pendingConn, now time.Time) {
	if pc.outgoing {
		t.dialing--
	}
	host := hostOf(pc.addr)
	_, dup := t.byAddr[pc.addr]
	if id, same := t.byID[pc.hs.PeerID]; same {
		// Two peers that connect to each other at once meet twice. Each
		// side sees the two connections in its own order, so "keep the
		// first" could close both; keeping the one the lower peer id
		// initiated makes both sides keep the same one. (Over WebRTC both
		// have the same address, so this also decides same-address pairs.)
		dup = false
		if old := t.peers[id]; old != nil && old.initiator != pc.initiator && pc.initiator == t.weDialLower(pc.hs.PeerID) {
			t.e.cfg.Logger.Debug("replacing duplicate connection", "old", old.addr, "new", pc.addr)
			t.dropPeer(old)
			if t.sess == nil {
				t.metaClosed(old)
			} else {
				t.sess.RemovePeer(old.id, now)
			}
		} else {
			dup = true
		}
	}
	if t.stopping || dup || t.banned[host] || len(t.peers) >= t.e.cfg.MaxPeersPerTorrent ||
		t.e.conns.Load() >= int64(t.e.cfg.MaxConns) || t.State() == StateError {
		t.e.cfg.Logger.Debug("connection refused", "addr", pc.addr, "stopping", t.stopping, "duplicate", dup,
			"banned", t.banned[host], "peers", len(t.peers), "state", t.State())
		_ = pc.conn.Close()
		return
	}
	if c, ok := t.candidates[pc.addr]; ok {
		c.fails = 0
	}
	t.nextID++
	p := newPeerConn(t, t.nextID, pc)
	t.peers[p.id] = p
	t.numPeers.Store(int64(len(t.peers)))
	t.byAddr[p.addr] = p.id
	t.idsMu.Lock()
	t.byID[pc.hs.PeerID] = p.id
	t.idsMu.Unlock()
	t.e.conns.Add(1)
	p.start()
	if t.sess == nil {
		t.metaConnected(p)
	} else {
		t.addToSession(p, now)
	}
	t.sendPort(p) // after the bitfield, which must come first
}

// weDialLower reports whether our peer id sorts below theirs: of two
// connections between us, the one the lower id dialled is kept.
func (t *Torrent) weDialLower(theirs [20]byte) bool {
	ours := t.e.cfg.PeerID
	return bytes.Compare(ours[:], theirs[:]) < 0
}

// addToSession hands a connected peer to the session.
func (t *Torrent) addToSession(p *peerConn, now time.Time) {
	ours := t.e.handshake(t.ih)
	t.sess.AddPeer(p.id, session.PeerInfo{
		Addr: p.addr, ID: p.hs.PeerID,
		Fast:      p.hs.SupportsFast() && ours.SupportsFast(),
		Extended:  p.hs.SupportsExtended() && ours.SupportsExtended(),
		Outgoing:  p.outgoing,
		Transport: p.transport,
	}, now)
}

// setLength records the size of info's files (padding left out) as the
// torrent's length and, until a session counts, what is left of it.
func (t *Torrent) setLength(info *metainfo.Info) {
	n := info.FilesLength()
	t.filesLen.Store(n)
	t.left.Store(n)
}

// FilesLength is the size of the torrent's files in bytes, without BEP
// 47 padding (0 until a magnet's metadata arrives).
func (t *Torrent) FilesLength() int64 { return t.filesLen.Load() }

// connectedTo reports whether a peer with this id is connected, by any
// transport. Safe from any goroutine.
func (t *Torrent) connectedTo(id [20]byte) bool {
	t.idsMu.RLock()
	defer t.idsMu.RUnlock()
	_, ok := t.byID[id]
	return ok
}

func (t *Torrent) dropPeer(p *peerConn) {
	if _, ok := t.peers[p.id]; !ok {
		return
	}
	t.pexOut.Forget(int(p.id))
	delete(t.peers, p.id)
	t.numPeers.Store(int64(len(t.peers)))
	if t.byAddr[p.addr] == p.id {
		delete(t.byAddr, p.addr)
	}
	if t.byID[p.hs.PeerID] == p.id {
		t.idsMu.Lock()
		delete(t.byID, p.hs.PeerID)
		t.idsMu.Unlock()
	}
	t.e.conns.Add(-1)
	p.close()
}

func (t *Torrent) closeAllPeers() {
	now := time.Now()
	for _, p := range t.peers {
		t.dropPeer(p)
		if t.sess != nil {
			t.sess.RemovePeer(p.id, now)
		}
	}
}

// hostOf is the host part of a peer address, the unit of banning: the IP
// of "ip:port" (or "utp://ip:port"), the host of a "ws://host:port/" URL, and the whole address
// otherwise ("webrtc:<peer id>" peers have no address to share).
func hostOf(addr string) string {
	addr, _ = SplitUTP(addr)
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().String()
	}
	if IsSignalURL(addr) {
		if u, err := url.Parse(addr); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
		return addr
	}
	if h, port, err := net.SplitHostPort(addr); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err == nil {
			return h
		}
	}
	return addr
}

func (t *Torrent) addCandidate(addr string) {
	if _, ok := t.candidates[addr]; ok || len(t.candidates) >= 2000 {
		return
	}
	if t.banned[hostOf(addr)] {
		return
	}
	t.candidates[addr] = &candidate{named: slices.Contains(t.spec.Peers, addr)}
}

// rememberListener makes an incoming TCP peer that still lacked pieces
// when its connection ended a candidate at the listen port its extension
// handshake named, so the connection is dialled back. libtorrent drops a
// peer the moment it becomes a seed if it was not interested a moment
// before ("uninteresting upload-only peer"), though the piece that made it
// a seed is one it lacks; it would only reconnect by itself a minute or
// more later.
func (t *Torrent) rememberListener(p *peerConn) {
	if p.outgoing {
		return
	}
	eh := t.sess.PeerExtHandshake(p.id)
	if eh == nil || eh.Port <= 0 || eh.Port > 65535 || t.sess.PeerSeed(p.id) {
		return
	}
	ap, err := netip.ParseAddrPort(p.addr)
	if err != nil {
		return // not an ip:port address (WebRTC, WebSocket)
	}
	t.addCandidate(netip.AddrPortFrom(ap.Addr(), uint16(eh.Port)).String())
}

// onPeerClosed schedules the next dial of a candidate whose connection
// ended without a ban (the ban path forgets the address). Without this a
// candidate stayed parked where fillPeers put it while dialling, an hour
// away, and a download whose only peer dropped once never got it back.
func (t *Torrent) onPeerClosed(addr string, reason error, now time.Time) {
	c, ok := t.candidates[addr]
	if !ok {
		return
	}
	if errors.Is(reason, session.ErrBothSeeds) {
		c.next = now.Add(bothSeedsWait)
		return
	}
	if now.Sub(c.dialed) >= maxCandidateWait {
		c.closes = 0 // a long-lived connection ended: start the back-off afresh
	}
	c.closes++
	if c.closes > maxCandidateFails && !c.named {
		delete(t.candidates, addr)
		return
	}
	c.next = now.Add(min(closedWait<<min(c.closes-1, 8), maxCandidateWait))
}

// fillPeers dials candidates while there is room, within the engine's
// half-open limit.
func (t *Torrent) fillPeers(now time.Time) {
	if t.stopping || t.State() == StateError {
		return
	}
	for addr, c := range t.candidates {
		if len(t.peers)+t.dialing >= t.e.cfg.MaxPeersPerTorrent ||
			t.e.halfOpen.Load() >= int64(t.e.cfg.MaxHalfOpen) {
			return
		}
		if _, ok := t.byAddr[addr]; ok || now.Before(c.next) {
			continue
		}
		c.next = now.Add(time.Hour) // until the attempt reports back
		c.dialed = now
		t.dialing++
		t.e.halfOpen.Add(1)
		go func(addr string) {
			defer t.e.halfOpen.Add(-1)
			ctx, cancel := context.WithCancel(t.e.ctx)
			defer cancel()
			go func() {
				select {
				case <-t.quit:
					cancel()
				case <-ctx.Done():
				}
			}()
			pc, err := t.e.dialPeer(ctx, t.ih, addr)
			if err != nil {
				t.post(evDialFailed{addr: addr, err: err})
				return
			}
			if !t.post(evConnected{pc: pc}) {
				_ = pc.conn.Close()
			}
		}(addr)
	}
}

func (t *Torrent) markComplete(now time.Time, announce bool) {
	t.state.Store(StateSeeding)
	if t.completedAt.Load() == 0 {
		t.completedAt.Store(now.Unix())
	}
	select {
	case <-t.completed:
	default:
		close(t.completed)
	}
	if announce && t.announcer != nil {
		t.announcer.Completed()
	}
	if announce {
		t.signalCompleted()
	}
	if announce {
		t.saveRecord(now)
	}
}

// shutdown ends the loop without serializing (engine close).
func (t *Torrent) shutdown() {
	t.quitOnce.Do(func() { close(t.quit) })
	<-t.loopDone
	t.stopAnnouncer(context.Background(), false)
	t.e.forget(t)
	t.closeStorage()
}

// StopAndSerialize stops requests, closes peers, tells trackers we stopped,
// writes the resume record and ends the torrent. ctx bounds the tracker step.
func (t *Torrent) StopAndSerialize(ctx context.Context) error {
	var rec *persist.Record
	ran := t.do(func() {
		now := time.Now()
		if t.sess != nil {
			t.sess.Stop(now)
		}
		t.stopping = true
		// Flush Cancel/NotInterested before closing: peers drop us cleanly.
		for _, p := range t.peers {
			p.signal()
		}
		t.publish(now)
		rec = t.buildRecord()
	})
	if !ran {
		<-t.loopDone       // the loop has ended: its state may be read
		if t.sess == nil { // stopped during checking: nothing learnt to save
			t.shutdown()
			return t.Err()
		}
	}
	t.quitOnce.Do(func() { close(t.quit) })
	<-t.loopDone
	annErr := t.stopAnnouncer(ctx, true)
	t.state.Store(StateStopped)
	t.e.forget(t)
	var err error
	if rec != nil && t.spec.State != nil {
		if serr := t.spec.State.Save(rec); serr != nil {
			err = fmt.Errorf("save resume record: %w", serr)
		}
	}
	if s, ok := t.storage.(interface{ Sync() error }); ok {
		_ = s.Sync()
	}
	t.closeStorage()
	if annErr != nil {
		t.e.cfg.Logger.Debug("tracker stop", "err", annErr)
	}
	return err
}

// Remove ends the torrent, deletes its resume record and, if asked, its data.
func (t *Torrent) Remove(deleteData bool) error {
	t.quitOnce.Do(func() { close(t.quit) })
	<-t.loopDone
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.stopAnnouncer(ctx, true)
	t.e.forget(t)
	t.state.Store(StateStopped)
	var errs []error
	if t.spec.State != nil {
		if err := t.spec.State.Delete(t.ih); err != nil && !errors.Is(err, persist.ErrNoRecord) {
			errs = append(errs, fmt.Errorf("delete resume record: %w", err))
		}
	}
	if deleteData {
		if d, ok := t.storage.(interface{ DeleteData() error }); ok {
			if err := d.DeleteData(); err != nil {
				errs = append(errs, fmt.Errorf("delete data: %w", err))
			}
		}
	}
	t.closeStorage()
	return errors.Join(errs...)
}

// closeStorage releases the data files (none before a magnet's metadata).
func (t *Torrent) closeStorage() {
	if t.storage != nil {
		_ = t.storage.Close()
	}
}
