// Package picker decides which blocks Braid requests from which peer: pieces
// already in progress first, then new pieces by priority and rarity, random
// pieces until the first few are verified, and duplicate requests in endgame.
//
// All bookkeeping is incremental. Untouched pieces live in buckets keyed by
// (priority, availability), pieces in progress on intrusive lists, so Pick
// never sorts and never allocates when dst has room. The picker is not safe
// for concurrent use; the session that owns a torrent owns its picker.
package picker

import (
	"math/rand/v2"

	"github.com/braid-bt/braid/core/bitfield"
)

// BlockSize is the request size every client accepts (BEP 3 practice).
const BlockSize = 16384

// Block is one request: Length bytes at Begin inside Piece.
type Block struct{ Piece, Begin, Length int }

// randomFirstPieces is how many pieces must be verified before rarest-first
// starts: a fresh peer needs something to trade quickly, and rare pieces are
// slow to get.
const randomFirstPieces = 4

// maxAvail caps availability so a peer repeating HAVE cannot grow the bucket
// table without bound.
const maxAvail = 1 << 16

// Where a piece is kept.
const (
	locNone   uint8 = iota // verified, unwanted, or fully received awaiting its hash
	locBucket              // nothing requested or received yet
	locOpen                // in progress, some blocks neither requested nor received
	locClosed              // in progress, every block requested or received
)

// Per-block state byte: the received flag plus a saturating request count.
const (
	blockReceived uint8 = 0x80
	blockMaxReq   uint8 = 0x7f
)

// piece is the per-piece state; kept small because there is one per piece.
type piece struct {
	avail     int32
	pos       int32 // index in its bucket, or previous piece on its list
	next      int32 // next piece on its list
	requested int32 // blocks with outstanding requests, not yet received
	received  int32 // blocks received
	hint      int32 // every block below hint is requested or received
	prio      Priority
	loc       uint8
	done      bool // verified
}

// list is an intrusive doubly linked list of pieces threaded through
// piece.pos/next, so moving pieces in and out of progress never allocates.
type list struct{ head, tail int32 }

// Picker tracks what Braid has, wants and has requested for one torrent.
type Picker struct {
	rng        *rand.Rand
	pieces     []piece
	blocks     []uint8 // piece i's blocks start at i*bpp
	need       []byte  // wire-layout bitmap: wanted, unverified, not fully received
	pieceLen   int64
	lastLen    int64
	bpp        int
	lastBlocks int

	buckets  [numPrio][][]int32 // [priority][availability] untouched pieces
	lo       [numPrio]int       // buckets below lo (except 0) are empty
	bucketed [numPrio]int
	open     [numPrio]list
	closed   [numPrio]list

	verified      int
	wantedMissing int
	left          int64

	// sequential: new pieces start in index order (sequential.go);
	// every piece below seqLow is out of the buckets.
	sequential bool
	seqLow     int32

	zeros    []uint64 // blocks wholly in padding (zeros.go); nil if none
	zeroFill []Block  // zero blocks marked received, for TakeZeroFills
}

// New returns a picker for numPieces pieces of pieceLength bytes, the last one
// holding the rest of totalLength. Every piece starts at PriorityNormal. A
// totalLength inconsistent with the piece count is treated as full pieces;
// rng may be nil for a fixed seed.
func New(numPieces int, pieceLength, totalLength int64, rng *rand.Rand) *Picker {
	if numPieces < 0 {
		numPieces = 0
	}
	if pieceLength <= 0 {
		pieceLength = BlockSize
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	last := pieceLength
	if numPieces > 0 {
		last = totalLength - int64(numPieces-1)*pieceLength
		if last <= 0 || last > pieceLength {
			last = pieceLength
		}
	}
	p := &Picker{
		rng:        rng,
		pieces:     make([]piece, numPieces),
		need:       make([]byte, bitfield.ByteLen(numPieces)),
		pieceLen:   pieceLength,
		lastLen:    last,
		bpp:        int((pieceLength + BlockSize - 1) / BlockSize),
		lastBlocks: int((last + BlockSize - 1) / BlockSize),
	}
	for pr := range numPrio {
		p.open[pr] = list{-1, -1}
		p.closed[pr] = list{-1, -1}
		p.lo[pr] = 1
	}
	if numPieces == 0 {
		return p
	}
	p.blocks = make([]uint8, (numPieces-1)*p.bpp+p.lastBlocks)
	b0 := make([]int32, numPieces)
	for i := range b0 {
		b0[i] = int32(i)
		p.pieces[i] = piece{pos: int32(i), next: -1, prio: PriorityNormal, loc: locBucket}
	}
	p.buckets[PriorityNormal] = [][]int32{b0}
	p.bucketed[PriorityNormal] = numPieces
	p.wantedMissing = numPieces
	p.left = int64(numPieces-1)*pieceLength + last
	for i := range numPieces {
		p.need[i>>3] |= 0x80 >> (i & 7)
	}
	return p
}

// NumPieces is the number of pieces the picker was built for.
func (p *Picker) NumPieces() int { return len(p.pieces) }

// PieceSize is the byte length of piece i (the last one may be short).
func (p *Picker) PieceSize(i int) int64 {
	if i < 0 || i >= len(p.pieces) {
		return 0
	}
	if i == len(p.pieces)-1 {
		return p.lastLen
	}
	return p.pieceLen
}

// NumBlocks is the number of blocks in piece i.
func (p *Picker) NumBlocks(i int) int {
	if i < 0 || i >= len(p.pieces) {
		return 0
	}
	if i == len(p.pieces)-1 {
		return p.lastBlocks
	}
	return p.bpp
}

// block returns block b of piece i with its exact length.
func (p *Picker) block(i, b int) Block {
	begin := b * BlockSize
	return Block{Piece: i, Begin: begin, Length: int(min(BlockSize, p.PieceSize(i)-int64(begin)))}
}

// blockIndex validates b against the torrent's geometry and returns its index
// into p.blocks. Blocks come from peers, so nothing is trusted.
func (p *Picker) blockIndex(b Block) (int, bool) {
	if b.Piece < 0 || b.Piece >= len(p.pieces) || b.Begin < 0 || b.Begin%BlockSize != 0 {
		return 0, false
	}
	k := b.Begin / BlockSize
	if k >= p.NumBlocks(b.Piece) || p.block(b.Piece, k).Length != b.Length {
		return 0, false
	}
	return b.Piece*p.bpp + k, true
}

// Have reports whether piece i is verified.
func (p *Picker) Have(i int) bool {
	return i >= 0 && i < len(p.pieces) && p.pieces[i].done
}

// NumHave is the number of verified pieces.
func (p *Picker) NumHave() int { return p.verified }

// Done reports whether every piece with a priority above None is verified.
func (p *Picker) Done() bool { return p.wantedMissing == 0 }

// Left is the number of bytes of wanted pieces not yet verified.
func (p *Picker) Left() int64 { return p.left }

// SetHave marks piece i as already verified, e.g. from resume data.
func (p *Picker) SetHave(i int) { p.Verified(i) }

// Availability is how many connected peers announced piece i.
func (p *Picker) Availability(i int) int {
	if i < 0 || i >= len(p.pieces) {
		return 0
	}
	return int(p.pieces[i].avail)
}
