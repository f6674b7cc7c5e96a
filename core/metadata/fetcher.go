// Package metadata fetches a torrent's info dictionary from peers with the
// BEP 9 ut_metadata extension, so a magnet link becomes a torrent, and cuts
// a known info dictionary into pieces to serve it.
//
// The Fetcher is sans-I/O: the engine tells it about peers and messages,
// passes the time in, and sends the requests it hands out. It is not safe
// for concurrent use; the torrent's loop owns it.
//
// Peers are hostile until the SHA-1 of what they sent matches the info
// hash. The size to fetch is the one most peers announce (the first heard
// on a tie), so one peer lying about it cannot stall the fetch. A copy that
// fails the hash marks its contributors suspect; from then on every copy
// is fetched from a single peer, honest-looking ones first, so the next
// failure proves who lied and that peer is banned. An honest peer is never
// banned.
//
// The Phase wraps a Fetcher into a magnet's whole metadata phase: it
// greets peers, reads their extension handshakes, sends requests and
// rejects, closes peers that break the protocol or lie, and remembers
// what each peer says it has until the info dictionary is known.
package metadata

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/wire"
)

// MaxSize bounds the metadata_size Braid accepts: real info dicts are a
// few hundred KiB even for huge torrents.
const MaxSize = 8 << 20

// RequestTimeout is how long a request stays with one peer before the
// piece may be asked of another, and how long a peer that rejected a
// request is left alone.
const RequestTimeout = 10 * time.Second

// MaxOutstanding is the number of unanswered requests per peer.
const MaxOutstanding = 2

// stallTimeout is how long a single source may go without delivering a
// piece before another peer takes over (and its pieces are dropped).
const stallTimeout = 3 * RequestTimeout

// PeerID is the engine's handle for a connection.
type PeerID = int

// Sentinel errors callers test with errors.Is.
var (
	// ErrBadSize: a metadata_size of 0, negative or above MaxSize.
	ErrBadSize = errors.New("metadata: bad metadata size")
	// ErrSizeMismatch: the peer announced (or sent) another size than the
	// one being fetched. A peer told this at AddPeer is still tracked and
	// used if its size wins later; keep it connected.
	ErrSizeMismatch = errors.New("metadata: metadata size mismatch")
	// ErrHashMismatch: every piece arrived but the SHA-1 (or a v2
	// magnet's SHA-256) is not the info hash. The fetch starts over;
	// Banned tells which peers lied.
	ErrHashMismatch = errors.New("metadata: info hash mismatch")
	// ErrPieceOutOfRange: no such piece for this metadata size.
	ErrPieceOutOfRange = errors.New("metadata: piece out of range")
	// ErrPieceLength: a piece of the wrong length (all are
	// wire.MetadataPieceSize bytes but the last).
	ErrPieceLength = errors.New("metadata: wrong piece length")
	// ErrUnknownPeer: data from a peer never added (or removed).
	ErrUnknownPeer = errors.New("metadata: unknown peer")
	// ErrBanned: data from a peer banned for sending a copy that failed
	// the hash; the engine may drop it. A Phase closes such a peer with a
	// reason wrapping ErrBanned.
	ErrBanned = errors.New("metadata: peer banned")
)

type request struct {
	piece int
	at    time.Time
}

type peer struct {
	seq         int // AddPeer order, for deterministic choices
	size        int // announced metadata_size
	outstanding []request
	backoff     time.Time // no requests before this
	suspect     bool      // contributed to a copy that failed the hash
	mute        bool      // a request timed out or was refused: no size vote until it delivers
	banned      bool      // alone supplied a copy that failed the hash
}

type slot struct {
	have        bool
	data        []byte // a copy: memory grows only with what peers send
	from        PeerID
	requestedAt time.Time // zero: free to request
	requestedBy PeerID
}

// Fetcher fetches one info dictionary.
type Fetcher struct {
	infoHash [20]byte
	// infoHashV2, when set, is what the dict must hash to instead: the
	// SHA-256 info hash of a BitTorrent v2 magnet (btmh, BEP 52), whose
	// infoHash is only its first 20 bytes.
	infoHashV2 [32]byte
	size       int    // 0 until a peer announced a valid size
	info       []byte // the verified dict, once done
	pieces     []slot
	missing    int
	peers      map[PeerID]*peer
	seq        int
	// solo: after a hash failure each copy comes from one peer, source,
	// which last delivered (or was chosen) at sourceActive.
	solo         bool
	source       PeerID
	hasSource    bool
	sourceActive time.Time
	done         bool
}

// NewFetcher starts fetching the info dictionary whose SHA-1 is infoHash.
func NewFetcher(infoHash [20]byte) *Fetcher {
	return &Fetcher{infoHash: infoHash, peers: map[PeerID]*peer{}}
}

// NewFetcherV2 starts fetching the info dictionary whose SHA-256 is
// infoHashV2 (a v2-only magnet's btmh); its swarm is the hash's first 20
// bytes.
func NewFetcherV2(infoHashV2 [32]byte) *Fetcher {
	f := &Fetcher{infoHashV2: infoHashV2, peers: map[PeerID]*peer{}}
	copy(f.infoHash[:], infoHashV2[:])
	return f
}

// matches tells whether buf is the dict the fetch is for.
func (f *Fetcher) matches(buf []byte) bool {
	if f.infoHashV2 != ([32]byte{}) {
		return sha256.Sum256(buf) == f.infoHashV2
	}
	return sha1.Sum(buf) == f.infoHash
}

// AddPeer registers p with the metadata_size from its extension handshake
// (call it again if p announces a new one). A size outside 1..MaxSize is
// ErrBadSize and p is not used until it announces a valid one. A size
// other than the one being fetched is ErrSizeMismatch: p is kept but asked
// nothing unless its size gains the most peers (then the fetch restarts at
// that size).
func (f *Fetcher) AddPeer(p PeerID, metadataSize int) error {
	if metadataSize <= 0 || metadataSize > MaxSize {
		if pr := f.peers[p]; pr != nil { // keep its record (a ban) but stop using it
			f.release(p, pr)
			pr.size = 0
			f.dropSource(p)
			f.chooseSize()
		}
		return fmt.Errorf("metadata: peer %d announced size %d, want 1..%d: %w", p, metadataSize, MaxSize, ErrBadSize)
	}
	pr := f.peers[p]
	if pr == nil {
		f.seq++
		pr = &peer{seq: f.seq}
		f.peers[p] = pr
	} else if pr.size != metadataSize {
		f.release(p, pr)
		f.dropSource(p)
	}
	pr.size = metadataSize
	f.chooseSize()
	if metadataSize != f.size {
		return fmt.Errorf("metadata: peer %d announced size %d, fetching %d: %w", p, metadataSize, f.size, ErrSizeMismatch)
	}
	return nil
}

// RemovePeer forgets p; its unanswered requests go to other peers at once.
func (f *Fetcher) RemovePeer(p PeerID) {
	pr := f.peers[p]
	if pr == nil {
		return
	}
	f.release(p, pr)
	delete(f.peers, p)
	f.dropSource(p)
	f.chooseSize()
}

// dropSource stops using p as the single source.
func (f *Fetcher) dropSource(p PeerID) {
	if f.hasSource && f.source == p {
		f.hasSource = false
	}
}

// release frees p's outstanding requests for others.
func (f *Fetcher) release(p PeerID, pr *peer) {
	for _, r := range pr.outstanding {
		if r.piece < len(f.pieces) && f.pieces[r.piece].requestedBy == p {
			f.pieces[r.piece].requestedAt = time.Time{}
		}
	}
	pr.outstanding = pr.outstanding[:0]
}

// Next returns a piece to request from p now, if any: one not received,
// not requested from anyone in the last RequestTimeout, with at most
// MaxOutstanding requests unanswered at p. The engine sends the request
// and reports the answer with Received or Rejected.
func (f *Fetcher) Next(p PeerID, now time.Time) (int, bool) {
	if !f.done {
		f.expire(now) // may re-choose the size: first
	}
	pr := f.peers[p]
	if f.done || f.size == 0 || pr == nil || pr.banned || pr.size != f.size {
		return 0, false
	}
	if now.Before(pr.backoff) || len(pr.outstanding) >= MaxOutstanding {
		return 0, false
	}
	if f.solo {
		if src, ok := f.pickSource(now); !ok || src != p {
			return 0, false
		}
	}
	for i := range f.pieces {
		pc := &f.pieces[i]
		if pc.have || pr.asked(i) || !pc.requestedAt.IsZero() && now.Sub(pc.requestedAt) < RequestTimeout {
			continue
		}
		pc.requestedAt, pc.requestedBy = now, p
		pr.outstanding = append(pr.outstanding, request{i, now})
		return i, true
	}
	return 0, false
}

func (pr *peer) asked(piece int) bool {
	for _, r := range pr.outstanding {
		if r.piece == piece {
			return true
		}
	}
	return false
}

// take removes piece from p's outstanding requests and says when it was
// asked.
func (pr *peer) take(piece int) (time.Time, bool) {
	for i, r := range pr.outstanding {
		if r.piece == piece {
			pr.outstanding = append(pr.outstanding[:i], pr.outstanding[i+1:]...)
			return r.at, true
		}
	}
	return time.Time{}, false
}

// expire drops requests older than RequestTimeout, freeing the peers'
// slots.
func (f *Fetcher) expire(now time.Time) {
	muted := false
	for _, pr := range f.peers {
		kept := pr.outstanding[:0]
		for _, r := range pr.outstanding {
			if now.Sub(r.at) < RequestTimeout {
				kept = append(kept, r)
			} else if !pr.mute {
				pr.mute, muted = true, true
			}
		}
		pr.outstanding = kept
	}
	if muted {
		// A peer that announced a size and never answers must not hold the
		// size vote (it may be lying about it).
		f.chooseSize()
	}
}

// pickSource returns the peer that supplies the whole copy in solo mode:
// the current one unless it delivered nothing for stallTimeout (a slow
// or rejecting source is waited for: switching costs the copy so far),
// else the earliest-added usable peer, unsuspected ones first. Pieces from
// an earlier source are dropped so each copy has one author.
func (f *Fetcher) pickSource(now time.Time) (PeerID, bool) {
	if f.hasSource {
		if now.Sub(f.sourceActive) < stallTimeout {
			return f.source, true
		}
		f.hasSource = false
		f.peers[f.source].backoff = now.Add(stallTimeout)
	}
	var best *peer
	var bestID PeerID
	for id, pr := range f.peers {
		if pr.banned || pr.size != f.size || now.Before(pr.backoff) {
			continue
		}
		if best == nil || less(pr, best) {
			best, bestID = pr, id
		}
	}
	if best == nil {
		return 0, false
	}
	f.source, f.hasSource, f.sourceActive = bestID, true, now
	for i := range f.pieces {
		if f.pieces[i].have && f.pieces[i].from != bestID {
			f.resetPieces()
			break
		}
	}
	return bestID, true
}

// less orders candidates: unsuspected first, then by arrival.
func less(a, b *peer) bool {
	if a.suspect != b.suspect {
		return !a.suspect
	}
	return a.seq < b.seq
}

// Rejected records that p refused piece (it may not have the metadata
// yet): the piece goes to other peers, and p gets no request until
// RequestTimeout after the refused one.
func (f *Fetcher) Rejected(p PeerID, piece int) {
	pr := f.peers[p]
	if pr == nil {
		return
	}
	at, ok := pr.take(piece)
	if !ok {
		return
	}
	if piece < len(f.pieces) && f.pieces[piece].requestedBy == p {
		f.pieces[piece].requestedAt = time.Time{}
	}
	pr.backoff = at.Add(RequestTimeout)
	if !pr.mute {
		pr.mute = true
		f.chooseSize()
	}
}

// Received takes a data message from p. It checks the piece index, its
// length and totalSize against the size being fetched, and copies data.
// Data answering a request made before a size change or from a peer that
// is not the current single source is dropped without error. When the
// last piece arrives the copy is hashed: done is true if it matches;
// otherwise the fetch starts over and the error wraps ErrHashMismatch.
// Other errors mean p sent something invalid.
func (f *Fetcher) Received(p PeerID, piece int, totalSize int, data []byte, now time.Time) (bool, error) {
	if f.done {
		return true, nil
	}
	pr := f.peers[p]
	switch {
	case pr == nil:
		return false, fmt.Errorf("metadata: data from peer %d: %w", p, ErrUnknownPeer)
	case pr.banned:
		return false, fmt.Errorf("metadata: data from peer %d: %w", p, ErrBanned)
	case totalSize != pr.size:
		return false, fmt.Errorf("metadata: peer %d sent total_size %d after announcing %d: %w", p, totalSize, pr.size, ErrSizeMismatch)
	case pr.size != f.size:
		return false, nil
	}
	want, ok := wire.MetadataPieceLen(f.size, piece)
	if !ok {
		return false, fmt.Errorf("metadata: peer %d sent piece %d of %d: %w", p, piece, len(f.pieces), ErrPieceOutOfRange)
	}
	if len(data) != want {
		return false, fmt.Errorf("metadata: peer %d sent piece %d of %d bytes, want %d: %w", p, piece, len(data), want, ErrPieceLength)
	}
	pr.take(piece)
	pr.mute = false // it delivers: its size counts again
	pc := &f.pieces[piece]
	if pc.have || f.solo && (!f.hasSource || f.source != p) {
		return false, nil
	}
	if f.solo {
		f.sourceActive = now
	}
	*pc = slot{have: true, from: p, data: append([]byte(nil), data...)}
	f.missing--
	if f.missing > 0 {
		return false, nil
	}
	return f.verify()
}

// verify hashes a complete copy and, if it is wrong, assigns blame and
// starts over in solo mode.
func (f *Fetcher) verify() (bool, error) {
	buf := make([]byte, 0, f.size)
	for _, pc := range f.pieces {
		buf = append(buf, pc.data...)
	}
	if f.matches(buf) {
		f.done, f.info, f.pieces = true, buf, nil
		return true, nil
	}
	authors := map[PeerID]bool{}
	for _, pc := range f.pieces {
		authors[pc.from] = true
	}
	for id := range authors {
		if pr := f.peers[id]; pr != nil {
			if len(authors) == 1 {
				pr.banned = true
			} else {
				pr.suspect = true
			}
		}
	}
	f.solo, f.hasSource = true, false
	f.resetPieces()
	f.chooseSize()
	return false, fmt.Errorf("metadata: copy from %d peer(s) does not match the info hash: %w", len(authors), ErrHashMismatch)
}

// resetPieces forgets every received piece and outstanding request.
func (f *Fetcher) resetPieces() {
	clear(f.pieces)
	f.missing = len(f.pieces)
	for _, pr := range f.peers {
		pr.outstanding = pr.outstanding[:0]
	}
}

// Banned reports whether p alone supplied a copy that failed the hash.
func (f *Fetcher) Banned(p PeerID) bool {
	pr := f.peers[p]
	return pr != nil && pr.banned
}

// Progress returns how many pieces of the current copy arrived, of how
// many; 0, 0 before any size is known.
func (f *Fetcher) Progress() (received, total int) {
	if f.done {
		n := (len(f.info) + pieceSize - 1) / pieceSize
		return n, n
	}
	return len(f.pieces) - f.missing, len(f.pieces)
}

// Done reports whether the info dictionary arrived and verified.
func (f *Fetcher) Done() bool { return f.done }

// Info returns the verified info dictionary, nil until Done.
func (f *Fetcher) Info() []byte {
	return f.info
}
