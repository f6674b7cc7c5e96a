package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/holepunch"
	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/pex"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/v2hashes"
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
	// StateFinished: every wanted piece of a file selection is verified
	// but not the whole torrent; it uploads what it has.
	StateFinished State = "finished"
	StateStopped  State = "stopped"
	StateError    State = "error"
)

// ErrExists is returned when a torrent with the same info hash is active.
var ErrExists = errors.New("torrent already active")

// Spec describes a torrent to start.
type Spec struct {
	InfoHash  [20]byte
	Info      *metainfo.Info
	InfoBytes []byte
	// InfoHashV2 is the SHA-256 info hash of a v2 or hybrid torrent
	// (BEP 52), zero for v1. A v2-only torrent's InfoHash is its first 20
	// bytes; a hybrid is found by both InfoHash and those 20 bytes.
	InfoHashV2 [32]byte
	// PieceLayers are a v2-only torrent's piece layers by pieces root
	// (metainfo.MetaInfo.PieceLayers): its pieces verify against them.
	PieceLayers map[merkle.Hash][]merkle.Hash
	Tiers       [][]string
	URLList     []string
	SavePath    string
	Storage     persist.Storage
	State       persist.StateStore
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
	// FilePriorities are files' priorities by index (SetFilePriorities
	// adds to them); they override SelectOnly's and the record's.
	FilePriorities map[int]picker.Priority
	// Sequential starts new pieces in index order (SetSequential).
	Sequential bool
	// SuperSeed seeds in BEP 16 super-seeding mode once complete (a
	// record's choice counts too).
	SuperSeed bool
	// Handle, if set, makes the value Torrent.Handle returns; it runs once,
	// before the torrent can be found in the registry.
	Handle func(*Torrent) any
}

// CheckResult reports the start-up verification of data on disk:
// Checked pieces were hashed, Valid of them passed (and Trusted, pieces
// the storage's verified marks vouched for without hashing, count as
// valid too), Invalid failed.
type CheckResult struct {
	Checked, Valid, Invalid int
	Trusted                 int
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
	annOthers   []*tracker.Announcer // a hybrid's v2 swarm's, beside announcer
	annTiers    [][]string           // the trackers announcers run for
	annCtx      context.Context      // and their context,
	annWG       *sync.WaitGroup      // and what annDone waits for
	annMu       sync.Mutex
	signals     *signalSet
	webSeeds    webSeedList
	userHandle  any
	leaving     atomic.Bool   // stopping: not listed, not found
	gone        chan struct{} // closed when a leaving torrent is done
	goneOnce    sync.Once
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
	superSeed   atomic.Bool  // BEP 16 asked for (engine/superseed.go)
	rates       torrentRates // this torrent's speed caps (torrentrates.go)
	maxPeers    atomic.Int64 // SetMaxPeers's cap; 0: the engine's (peerlimit.go)
	sequential  atomic.Bool  // SetSequential asked for in-order pieces (sequential.go)
	// pendingTiers: SetTrackers's list until the loop takes it; under annMu.
	pendingTiers *[][]string
	hp           *holepunch.State // BEP 55 bookkeeping, on first use (holepunch.go); loop only
	rechecking   map[int]bool     // pieces hashed again after an upload read failed (donthave.go); loop only
	metaPeers    atomic.Int64     // connected peers while fetching metadata
	blocked      atomic.Int64     // candidates and dials the blocklist refused
	numPeers     atomic.Int64     // connected peers, for signallers deciding to offer
	private      atomic.Bool      // BEP 27: no DHT, no PEX
	idsMu        sync.RWMutex     // the loop's writes to byID; others read under it
	req2         [20]byte         // MSE's HASH('req2', info hash), to find us by
	// alias is a hybrid's truncated v2 info hash (hasAlias): the torrent
	// is found by it too, and req2Alias is its MSE HASH('req2', alias).
	// Both are written once, before hasAlias turns true (at AddTorrent,
	// or when a btih magnet's metadata shows a hybrid: swarm.go), and
	// read only after hasAlias says so.
	alias     [20]byte
	hasAlias  atomic.Bool
	req2Alias [20]byte
	// learnedV2 is the v2 info hash of a hybrid known by a btih magnet,
	// once its metadata shows it (spec.InfoHashV2 stays as added).
	learnedV2 atomic.Pointer[[32]byte]

	// Owned by the loop.
	phase     phase // the metadata phase, then the session's
	pexIn     *pex.Inbox
	pexOut    *pex.Outbox
	startHave *bitfield.Bitfield
	sess      *session.Session
	peers     map[session.PeerID]*peerConn
	byID      map[[20]byte]session.PeerID // written under idsMu, for connectedTo
	nextID    session.PeerID
	book      *peers.Book
	lastSave  time.Time
	baseUp    int64
	baseDown  int64
	stopping  bool
	halt      bool // a disk error stopped the torrent; wind down after this event
	savedHave int  // what the last saved record held
	savedUp   int64
	savedDown int64

	// v2 is the check of each piece of a v2-only torrent (nil for v1 and
	// hybrid torrents, which verify by SHA-1); set with the info, before
	// the session starts, and never changed after.
	v2 []v2Piece
	// v2Addrs are the addresses found in a hybrid's v2 swarm, dialled
	// with its v2 hash (loop only; bounded by maxV2Addrs).
	v2Addrs map[string]struct{}
	// hashResp answers a v2 or hybrid torrent's BEP 52 hash requests, on
	// the peers' reader goroutines (hashserve.go); set with the info and
	// read-only once stored. Nil for v1 and until the info is known.
	hashResp atomic.Pointer[v2hashes.Responder]
	// v2b is the loop's block-level hash exchange of a v2 torrent
	// (blockcheck.go, blockserve.go).
	v2b v2Blocks

	dw     *diskWriter // started by the first received block
	msgBuf *[]byte     // the message being handled; WriteBlock takes it
}

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
	alias, hasAlias := swarmAlias(&spec)
	if _, ok := e.torrents[alias]; hasAlias && ok {
		return nil, ErrExists
	}
	v2, err := pieceWants(spec.Info, spec.PieceLayers)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	t := &Torrent{
		e: e, ih: spec.InfoHash, info: spec.Info, infoAtStart: spec.Info, spec: spec, storage: spec.Storage,
		events: make(chan event, 256), loopDone: make(chan struct{}), quit: make(chan struct{}),
		checked: make(chan struct{}), completed: make(chan struct{}), gone: make(chan struct{}),
		peers: make(map[session.PeerID]*peerConn), byID: make(map[[20]byte]session.PeerID),
		addedAt: e.clock.Now(), req2: mse.Req2(spec.InfoHash),
		pexIn: pex.NewInbox(), pexOut: pex.NewOutbox(), v2: v2,
		alias: alias,
	}
	t.hasAlias.Store(hasAlias)
	if hasAlias {
		t.req2Alias = mse.Req2(alias)
	}
	if r := newHashResponder(spec.Info, spec.PieceLayers); r != nil {
		t.hashResp.Store(r)
	}
	t.book = peers.New(peers.Config{Self: e.cfg.PeerID, MaxPeers: e.cfg.MaxPeersPerTorrent, Blocked: t.bookFilter})
	t.state.Store(StateChecking)
	t.superSeed.Store(spec.SuperSeed || (spec.Record != nil && spec.Record.SuperSeed))
	t.sequential.Store(spec.Sequential)
	if spec.Info == nil {
		t.state.Store(StateMetadata)
	}
	if r := spec.Record; r != nil {
		t.baseUp, t.baseDown = r.Uploaded, r.Downloaded
		t.uploaded.Store(r.Uploaded) // what Transferred reads until the session publishes
		t.downloaded.Store(r.Downloaded)
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
	if spec.Handle != nil {
		t.userHandle = spec.Handle(t)
	}
	e.torrents[spec.InfoHash] = t
	if hasAlias {
		e.torrents[alias] = t
	}
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

// Transferred is the torrent's all-time uploaded and downloaded bytes and
// the bytes downloaded in this run, as its loop last published them (every
// tick, and when it stops): read without a round trip to the loop.
func (t *Torrent) Transferred() (uploaded, downloaded, fetched int64) {
	up, down := t.uploaded.Load(), t.downloaded.Load()
	return up, down, max(down-t.baseDown, 0)
}

// quitContext is a context that ends when the torrent quits or the engine
// closes, for the torrent's own goroutines (dials, DHT lookups).
func (t *Torrent) quitContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.e.ctx)
	go func() {
		select {
		case <-t.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
