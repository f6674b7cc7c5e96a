// Package session is Braid's per-torrent BitTorrent state machine: peer
// state, interest, choking, request pipelines, endgame, piece verification
// bookkeeping, bans and rates. It is sans-I/O: the engine feeds it events
// (peer added, message received, piece hashed, clock tick) with the current
// time, and it acts only through the Out interface. It never blocks, never
// reads the clock and never starts goroutines, so it runs unchanged in the
// browser and a whole swarm can be simulated in a unit test.
//
// A Session is not safe for concurrent use: one goroutine (the torrent's
// loop) owns it.
package session

import (
	"errors"
	"hash/maphash"
	"math/rand/v2"
	"time"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
	"github.com/braid-bt/braid/core/wire"
)

// PeerID is a connection handle chosen by the engine, unique within a torrent.
type PeerID int

// Reasons passed to Out.ClosePeer. Callers test them with errors.Is.
var (
	// ErrProtocol: the peer broke the protocol; the wrapping error says how.
	ErrProtocol = errors.New("session: protocol violation")
	// ErrBanned: the peer sent bad data; the engine should ban its address.
	ErrBanned = errors.New("session: peer banned for bad data")
	// ErrBothSeeds: neither side needs anything from the other any more.
	ErrBothSeeds = errors.New("session: both sides complete")
)

// Out is how the session acts on the world; the engine implements it. Calls
// never block for long and never call back into the Session. Slices and
// messages handed to Out are valid only during the call.
type Out interface {
	// Send queues a message to p.
	Send(p PeerID, m *wire.Message)
	// SendBlock reads that block from storage and sends it to p as a Piece.
	SendBlock(p PeerID, piece, begin, length int)
	// WriteBlock stores received data.
	WriteBlock(piece, begin int, data []byte)
	// HashPiece verifies a piece whose blocks were all written; the engine
	// answers later with Session.PieceHashed.
	HashPiece(piece int)
	// ClosePeer drops the connection; the session has already forgotten p.
	ClosePeer(p PeerID, reason error)
	// Extended passes on BEP 10 extended messages other than the handshake.
	Extended(p PeerID, extID uint8, payload []byte)
	// Completed reports that every wanted piece is verified (once per
	// transition from incomplete to complete).
	Completed()
}

// UploadQueue may also be implemented by an Out whose SendBlock only queues
// blocks. The session then bounds each peer's queue by MaxPeerRequests,
// drops queued blocks when the peer cancels them or is choked, and sends the
// Reject messages BEP 6 requires for them. Without it every accepted request
// goes to SendBlock at once and stays sent. Like Out, its methods must not
// call back into the Session.
type UploadQueue interface {
	// QueuedBlocks is the number of blocks of p accepted by SendBlock but
	// not yet written.
	QueuedBlocks(p PeerID) int
	// CancelBlock removes one queued block; false if it was not queued
	// (already written or never accepted).
	CancelBlock(p PeerID, piece, begin, length int) bool
	// DropBlocks removes every queued block of p and appends them to dst.
	DropBlocks(p PeerID, dst []picker.Block) []picker.Block
}

// Config tunes a session; zero fields take the defaults in brackets.
type Config struct {
	// UploadSlots is the number of regular unchoke slots [4]; one
	// optimistic unchoke comes on top.
	UploadSlots int
	// ChokeInterval is how often choking is re-evaluated [10 s].
	ChokeInterval time.Duration
	// OptimisticInterval is how often the optimistic unchoke rotates [30 s].
	OptimisticInterval time.Duration
	// RequestTimeout: a request unanswered this long is cancelled and
	// picked again [30 s].
	RequestTimeout time.Duration
	// SnubTimeout: an unchoking peer that sends no block this long while we
	// wait on it is snubbed [60 s]: it keeps one probing request (any number
	// in endgame) and gets no regular unchoke slot while we download.
	SnubTimeout time.Duration
	// MinQueue and MaxQueue bound the adaptive request pipeline per peer
	// [16, 500]. The target is rate×3 s/16 KiB + 2 blocks, also capped by
	// the peer's reqq (250 when it does not say).
	MinQueue, MaxQueue int
	// MaxOutstanding caps the requests outstanding across all peers
	// (0: none). Under a download rate limit it is a few seconds' worth of
	// blocks at that rate: deeper pipelines would wait behind the limit
	// past RequestTimeout and mark peers snubbed for our own throttling.
	MaxOutstanding int
	// MaxPeerRequests is how many requests one peer may have queued with us
	// [500]; advertise it as reqq. Enforced when Out is an UploadQueue.
	MaxPeerRequests int
	// MaxBadPieces bans a peer once it alone sent every block of this many
	// pieces that failed their hash [2]. A failed piece with several
	// senders counts against none of them: it is fetched again from one
	// peer, and when it verifies every peer whose block in a failed copy
	// differs from the good one is banned at once.
	MaxBadPieces int
	// ExtHandshake is our BEP 10 handshake payload, sent first to peers
	// that support BEP 10. Nil sends none.
	ExtHandshake []byte
	// InfoHash is the torrent's info hash as in the handshake; it seeds
	// the BEP 6 allowed-fast sets we grant. Zero grants none.
	InfoHash [20]byte
	// Rand drives the optimistic unchoke and the picker [fixed seed].
	Rand *rand.Rand
}

// Defaults.
const (
	DefaultUploadSlots        = 4
	DefaultChokeInterval      = 10 * time.Second
	DefaultOptimisticInterval = 30 * time.Second
	DefaultRequestTimeout     = 30 * time.Second
	DefaultSnubTimeout        = 60 * time.Second
	DefaultMinQueue           = 16
	DefaultMaxQueue           = 500
	DefaultMaxPeerRequests    = 500
	DefaultMaxBadPieces       = 2
	// DefaultPeerReqQ is assumed for peers whose handshake has no reqq.
	DefaultPeerReqQ = 250
)

func (c *Config) fill() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.UploadSlots, DefaultUploadSlots)
	defDur(&c.ChokeInterval, DefaultChokeInterval)
	defDur(&c.OptimisticInterval, DefaultOptimisticInterval)
	defDur(&c.RequestTimeout, DefaultRequestTimeout)
	defDur(&c.SnubTimeout, DefaultSnubTimeout)
	def(&c.MinQueue, DefaultMinQueue)
	def(&c.MaxQueue, DefaultMaxQueue)
	if c.MaxQueue < c.MinQueue {
		c.MaxQueue = c.MinQueue
	}
	def(&c.MaxPeerRequests, DefaultMaxPeerRequests)
	def(&c.MaxBadPieces, DefaultMaxBadPieces)
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(1, 2))
	}
}

// PeerInfo describes a connection after its handshake. Fast and Extended
// mean both sides support BEP 6 and BEP 10.
type PeerInfo struct {
	Addr      string
	ID        [20]byte
	Fast      bool
	Extended  bool
	Outgoing  bool
	Transport string
}

// Session is the state of one torrent's swarm.
type Session struct {
	info      *metainfo.Info
	numPieces int
	cfg       Config
	out       Out
	uq        UploadQueue // nil unless out implements it
	pk        *picker.Picker
	have      *bitfield.Bitfield
	hashing   *bitfield.Bitfield // handed to HashPiece, no result yet
	haveBytes int64              // verified bytes of files (padding not counted)
	// filesLength is the torrent's bytes without padding; padIn is each
	// piece's padding bytes (nil without padding). See padding.go.
	filesLength int64
	padIn       []int32
	completed   bool
	// uploadOnly is what we last advertised as BEP 21 upload_only; ourExt
	// and extBytes are our extension handshake (nil ourExt: the engine's
	// payload did not parse and goes out unchanged).
	uploadOnly bool
	ourExt     *wire.ExtHandshake
	extBytes   []byte
	stopped    bool
	// superSeed is BEP 16 super-seeding as asked (superseed.go); offers
	// counts, per piece, the peers it is offered to now.
	superSeed bool
	offers    []int32
	now       time.Time         // latest time passed in
	filePrio  []picker.Priority // nil until SetFilePriority

	peers map[PeerID]*peer
	order []*peer // connection order: deterministic iteration

	pieces   []*pieceState // per piece: who sent which block, while in progress
	freeRecs []*pieceState
	endgame  map[picker.Block]struct{} // blocks that may be requested twice
	seed     maphash.Seed
	hosts    map[string]*hostRecord
	parole   []int // failed pieces whose next attempt comes from one peer

	downloaded, uploaded, wasted int64
	hashFails                    int
	down, up                     rate

	lastChoke, lastOptimistic time.Time
	optimistic                *peer

	// Scratch space so hot paths do not allocate.
	msg        wire.Message
	picks      []picker.Block
	zeroFills  []picker.Block // scratch for writeZeroFills
	blocks     []picker.Block
	cands      []*peer
	doomed     []doomedPeer
	extScratch []byte
}

type doomedPeer struct {
	p   *peer
	err error
}

// New starts a session for a torrent of which have (copied) is verified.
// A session that starts complete does not call Out.Completed.
func New(info *metainfo.Info, have *bitfield.Bitfield, cfg Config, out Out, now time.Time) *Session {
	cfg.fill()
	n := info.NumPieces()
	s := &Session{
		info:      info,
		numPieces: n,
		cfg:       cfg,
		out:       out,
		pk:        picker.New(n, info.PieceLength, info.Length, cfg.Rand),
		have:      bitfield.New(n),
		hashing:   bitfield.New(n),
		peers:     make(map[PeerID]*peer),
		pieces:    make([]*pieceState, n),
		endgame:   make(map[picker.Block]struct{}),
		seed:      maphash.MakeSeed(),
		hosts:     make(map[string]*hostRecord),
		down:      rate{last: now},
		up:        rate{last: now},
		lastChoke: now,
		// The first optimistic unchoke is chosen at the first choke round.
		lastOptimistic: now.Add(-cfg.OptimisticInterval),
	}
	s.uq, _ = out.(UploadQueue)
	s.now = now
	s.padIn = markPadding(s.pk, info)
	s.filesLength = info.FilesLength()
	if have != nil {
		for i := range n {
			if have.Has(i) {
				s.have.Set(i)
				s.pk.SetHave(i)
				s.haveBytes += s.pieceBytes(i)
			}
		}
	}
	s.completed = s.pk.Done()
	s.initExt()
	return s
}

// Have is the set of verified pieces. Do not modify it.
func (s *Session) Have() *bitfield.Bitfield { return s.have }

// Complete reports whether every wanted piece is verified.
func (s *Session) Complete() bool { return s.pk.Done() }

// send queues one message built in the scratch message: no allocation.
func (s *Session) send(p *peer, t wire.MsgType) {
	s.msg = wire.Message{Type: t}
	s.out.Send(p.id, &s.msg)
}

func (s *Session) sendIndex(p *peer, t wire.MsgType, index int) {
	s.msg = wire.Message{Type: t, Index: uint32(index)}
	s.out.Send(p.id, &s.msg)
}

func (s *Session) sendBlockMsg(p *peer, t wire.MsgType, b picker.Block) {
	s.msg = wire.Message{Type: t, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)}
	s.out.Send(p.id, &s.msg)
}
