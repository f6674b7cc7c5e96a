package engine

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/v2hashes"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/persist"
	"github.com/braid-bt/braid/transport"
)

// v2Rig starts an engine with a v2-only torrent of files of the given
// sizes in 64 KiB pieces (4 blocks): seeding them (its storage holds the
// data, checked at start) or empty.
func v2Rig(t *testing.T, seed bool, sizes ...int) (*Torrent, *metainfo.MetaInfo, []byte, *persist.Memory, string) {
	t.Helper()
	return v2RigClock(t, nil, seed, sizes...)
}

// v2RigClock is v2Rig with the engine on the given clock (nil: the wall
// clock).
func v2RigClock(t *testing.T, clock Clock, seed bool, sizes ...int) (*Torrent, *metainfo.MetaInfo, []byte, *persist.Memory, string) {
	t.Helper()
	mi, stream := v2Stream(t, 64<<10, false, sizes...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := New(Config{PeerID: [20]byte{9}, HashWorkers: 1, Transports: []transport.Transport{fakeAcceptor{Listener: l}}, Logger: logger, Clock: clock})
	t.Cleanup(func() { _ = e.Close() })
	store := persist.NewMemory(mi.Info.Length)
	if seed {
		_, err := store.WriteAt(stream, 0)
		require.NoError(t, err)
	}
	tor, err := e.AddTorrent(Spec{
		InfoHash: mi.ShortInfoHashV2(), InfoHashV2: mi.InfoHashV2, PieceLayers: mi.PieceLayers, Info: mi.Info,
		InfoBytes: mi.InfoBytes, Storage: store, State: persist.NewMemoryStateStore(), CheckAll: seed,
	})
	require.NoError(t, err)
	<-tor.Checked()
	return tor, mi, stream, store, l.Addr().String()
}

// testWriter sends the engine's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fullResponder knows every file of the torrent down to its blocks: what
// an honest peer holding the data answers from.
func fullResponder(t *testing.T, info *metainfo.Info, stream []byte) *v2hashes.Responder {
	t.Helper()
	r := v2hashes.NewResponder()
	for _, f := range info.FilesV2 {
		var blocks []merkle.Hash
		for off := f.Offset; off < f.Offset+f.Length; off += merkle.BlockSize {
			blocks = append(blocks, merkle.BlockHash(stream[off:min(off+merkle.BlockSize, f.Offset+f.Length)]))
		}
		tree, err := merkle.NewTree(blocks)
		require.NoError(t, err)
		require.Equal(t, f.PiecesRoot, tree.Root())
		r.Add(tree)
	}
	return r
}

// blockHashes is what v2hashes.Verify must prove for piece p of file f:
// the SHA-256 of its real blocks.
func blockHashes(info *metainfo.Info, stream []byte, f metainfo.FileV2, p int64) []merkle.Hash {
	var out []merkle.Hash
	start := f.Offset + p*info.PieceLength
	end := min(start+info.PieceLength, f.Offset+f.Length)
	for off := start; off < end; off += merkle.BlockSize {
		out = append(out, merkle.BlockHash(stream[off:min(off+merkle.BlockSize, end)]))
	}
	return out
}

// A v2 seeder answers block hash requests (libtorrent's, after a piece
// failed) by hashing the piece from its data: the hashes prove out
// against the piece hash and are the piece's blocks' hashes, for a piece
// of a long file, in libtorrent's form with proof up from the piece
// layer, and for a file of at most one piece. A piece whose data changed
// on disk since is rejected, not served from the changed data.
func TestServesBlockHashes(t *testing.T) {
	_, mi, stream, store, addr := v2Rig(t, true, 300_000, 20_000)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	long, small := mi.Info.FilesV2[0], mi.Info.FilesV2[1]
	pl := mi.Info.PieceLength
	r1, _, err := v2hashes.BlockRequest(long.PiecesRoot, long.Length, pl, 1)
	require.NoError(t, err)
	lt, _, err := v2hashes.BlockRequest(long.PiecesRoot, long.Length, pl, 4) // the short last piece
	require.NoError(t, err)
	lt.ProofLayers = 3 // libtorrent asks for uncles above the piece layer too
	r2, need, err := v2hashes.BlockRequest(small.PiecesRoot, small.Length, pl, 0)
	require.NoError(t, err)
	require.True(t, need)
	reqs := []wire.HashMsg{r1, lt, r2}
	resp := newHashResponder(mi.Info, mi.PieceLayers)
	for i := range reqs { // one at a time: a peer has at most two being hashed
		_, err = c.Write(wire.AppendHashMsg(nil, &reqs[i]))
		require.NoError(t, err)
		got := readHashMsgs(t, c, 1, 10*time.Second)
		require.Len(t, got, 1)
		m := got[0]
		require.True(t, v2hashes.Same(&reqs[i], &m), "the answer names the request")
		require.Equal(t, wire.Hashes, m.Type, "%+v", m)
		known, ok := resp.Tree(m.Root)
		require.True(t, ok)
		hashes, err := v2hashes.Verify(known, &m)
		require.NoError(t, err)
		f, p := long, int64(m.Index>>2)
		if m.Root == small.PiecesRoot {
			f, p = small, 0
		}
		want := blockHashes(mi.Info, stream, f, p)
		require.Equal(t, want, hashes[:len(want)])
	}

	// The data of piece 2 changes on disk: no hashes of it are served.
	_, err = store.WriteAt([]byte{0xff, 0xee}, mi.Info.PieceOffset(2)+5)
	require.NoError(t, err)
	stale, _, err := v2hashes.BlockRequest(long.PiecesRoot, long.Length, pl, 2)
	require.NoError(t, err)
	_, err = c.Write(wire.AppendHashMsg(nil, &stale))
	require.NoError(t, err)
	got := readHashMsgs(t, c, 1, 10*time.Second)
	require.Len(t, got, 1)
	require.Equal(t, wire.HashReject, got[0].Type)
	require.True(t, v2hashes.Same(&got[0], &stale))
	require.True(t, stillOpen(c, 300*time.Millisecond), "the connection was closed")
}

// A torrent without the piece rejects a request for its block hashes.
func TestBlockHashesOfMissingPieceRejected(t *testing.T) {
	_, mi, _, _, addr := v2Rig(t, false, 300_000)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	f := mi.Info.FilesV2[0]
	req, _, err := v2hashes.BlockRequest(f.PiecesRoot, f.Length, mi.Info.PieceLength, 0)
	require.NoError(t, err)
	_, err = c.Write(wire.AppendHashMsg(nil, &req))
	require.NoError(t, err)
	got := readHashMsgs(t, c, 1, 10*time.Second)
	require.Len(t, got, 1)
	require.Equal(t, wire.HashReject, got[0].Type)
}

// A flood of block hash requests is bounded: every request is answered,
// with hashes only while the peer has answers in hashing below its
// share and the torrent's hashing budget lasts; the rest are rejected
// without reading or hashing anything, and the connection stays.
func TestBlockHashRequestFloodIsBounded(t *testing.T) {
	tor, mi, _, _, addr := v2Rig(t, true, 300_000)
	c, _, ok := handshakeWith(t, addr, mi.ShortInfoHashV2())
	require.True(t, ok)
	f := mi.Info.FilesV2[0]
	const flood = 1000
	var out []byte
	for i := range flood {
		req, _, err := v2hashes.BlockRequest(f.PiecesRoot, f.Length, mi.Info.PieceLength, int64(i%5))
		require.NoError(t, err)
		out = wire.AppendHashMsg(out, &req)
	}
	go func() { _, _ = c.Write(out) }()
	got := readHashMsgs(t, c, flood, 20*time.Second)
	require.Len(t, got, flood, "every request has an answer")
	answered := 0
	for _, m := range got {
		if m.Type == wire.Hashes {
			answered++
		}
	}
	t.Logf("%d of %d answered with hashes", answered, flood)
	assert.Positive(t, answered)
	assert.Less(t, answered, flood/2, "most of a burst is rejected while answers are hashed")
	assert.True(t, stillOpen(c, 300*time.Millisecond), "the connection was closed")
	require.True(t, tor.do(func() {
		assert.Zero(t, tor.v2b.servingN, "every answer counted back")
		assert.Empty(t, tor.v2b.serving)
	}))
}

// fakeV2Peer is a peer of a v2 torrent played by the test on a TCP
// connection from its own loopback address (bans are per address).
type fakeV2Peer struct {
	t      *testing.T
	c      net.Conn
	wmu    sync.Mutex
	mu     sync.Mutex
	asked  map[int]map[int]bool // blocks requested of it, by piece
	gone   chan struct{}        // closed when the engine closed the connection
	hashes int                  // hash requests it got
	silent bool                 // hash requests go unanswered
	last   time.Time            // its last block request
	// idleFirst, if set, is a peer that must have had no block request
	// for a moment before this one answers a hash request.
	idleFirst *fakeV2Peer
}

// idle waits until the peer has had no block request for 300 ms.
func (f *fakeV2Peer) idle() {
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		f.mu.Lock()
		last := f.last
		f.mu.Unlock()
		if time.Since(last) > 300*time.Millisecond {
			return
		}
	}
}

func dialFakeV2(t *testing.T, addr, ip string, ih [20]byte, numPieces int) *fakeV2Peer {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	hs := wire.Handshake{InfoHash: ih, PeerID: [20]byte{'f', 'a', 'k', 'e', ip[len(ip)-1]}}
	hs.SetExtended()
	_, err = c.Write(hs.Append(nil))
	require.NoError(t, err)
	var buf [wire.HandshakeLen]byte
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadFull(c, buf[:])
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Time{})
	f := &fakeV2Peer{t: t, c: c, asked: map[int]map[int]bool{}, gone: make(chan struct{})}
	all := bitfield.New(numPieces)
	all.SetAll()
	f.send(&wire.Message{Type: wire.Bitfield, Bitfield: all.Bytes()})
	return f
}

func (f *fakeV2Peer) send(m *wire.Message) {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	_, _ = f.c.Write(wire.AppendMessage(nil, m))
}

func (f *fakeV2Peer) sendHash(m *wire.HashMsg) {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	_, _ = f.c.Write(wire.AppendHashMsg(nil, m))
}

// serve answers requests with the data, corrupting block 1 of every
// piece if corrupt, and hash requests from resp (nil: rejects), with a
// hash flipped if lie.
func (f *fakeV2Peer) serve(info *metainfo.Info, stream []byte, corrupt bool, resp *v2hashes.Responder, lie bool) {
	go func() {
		defer close(f.gone)
		var buf []byte
		for {
			var m wire.Message
			var err error
			m, buf, err = wire.ReadMessage(f.c, buf, wire.DefaultLimits(0))
			if err != nil && !errors.Is(err, wire.ErrUnknownMessage) {
				return
			}
			switch {
			case m.KeepAlive:
			case m.Type == wire.Request:
				f.mu.Lock()
				if f.asked[int(m.Index)] == nil {
					f.asked[int(m.Index)] = map[int]bool{}
				}
				f.asked[int(m.Index)][int(m.Begin)/merkle.BlockSize] = true
				f.last = time.Now()
				f.mu.Unlock()
				off := info.PieceOffset(int(m.Index)) + int64(m.Begin)
				blk := append([]byte(nil), stream[off:off+int64(m.Length)]...)
				if corrupt && m.Begin == merkle.BlockSize {
					blk[7] ^= 0x5a
				}
				f.send(&wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: blk})
			case m.Type == wire.HashRequest:
				req, err := wire.ParseHashMsg(m.Type, m.Payload)
				if err != nil {
					return
				}
				f.mu.Lock()
				f.hashes++
				f.mu.Unlock()
				if f.idleFirst != nil {
					f.idleFirst.idle()
				}
				if f.silent {
					continue
				}
				reply := req
				reply.Type = wire.HashReject
				if resp != nil {
					reply, _ = resp.Answer(&req)
				}
				if lie && reply.Type == wire.Hashes {
					reply.Hashes[40] ^= 1
				}
				f.sendHash(&reply)
			}
		}
	}()
}

func (f *fakeV2Peer) askedFor(piece int) map[int]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]bool{}
	for k := range f.asked[piece] {
		out[k] = true
	}
	return out
}

// A v2 peer sending a corrupt block in every piece is named by the
// failed pieces' block hashes: it is banned at once, with no parole
// round, and only the bad blocks are fetched again (from the honest
// seeder, which is asked for nothing else of those pieces). A peer
// answering the block hash request with hashes that do not prove out is
// banned too; the honest peer, asked next, is kept, and the download
// completes byte for byte.
func TestV2BadBlockNamesItsSender(t *testing.T) {
	tor, mi, stream, store, addr := v2Rig(t, false, 12*64<<10-1000)
	ih := mi.ShortInfoHashV2()
	n := mi.Info.NumPieces()
	full := fullResponder(t, mi.Info, stream)

	hashLiar := dialFakeV2(t, addr, "127.0.0.3", ih, n) // has everything, never unchokes, lies about hashes
	hashLiar.serve(mi.Info, stream, false, full, true)
	honest := dialFakeV2(t, addr, "127.0.0.4", ih, n) // unchokes once the liar is gone
	require.Eventually(t, func() bool { return len(tor.Snapshot().Peers) == 2 }, 10*time.Second, 20*time.Millisecond)
	liar := dialFakeV2(t, addr, "127.0.0.2", ih, n)
	// The honest peer answers hash requests once the liar has sent every
	// piece, so each piece fails whole from the liar.
	honest.idleFirst = liar
	honest.serve(mi.Info, stream, false, full, false)
	liar.serve(mi.Info, stream, true, nil, false)
	liar.send(&wire.Message{Type: wire.Unchoke})

	select {
	case <-hashLiar.gone:
	case <-time.After(30 * time.Second):
		t.Fatal("the peer answering with wrong block hashes was not dropped")
	}
	select {
	case <-liar.gone:
	case <-time.After(30 * time.Second):
		t.Fatal("the peer sending bad blocks was not dropped")
	}
	honest.send(&wire.Message{Type: wire.Unchoke})
	select {
	case <-tor.Completed():
	case <-time.After(30 * time.Second):
		t.Fatal("the download did not complete from the honest peer")
	}
	got := make([]byte, len(stream))
	_, err := store.ReadAt(got, 0)
	require.NoError(t, err)
	require.Equal(t, stream, got)
	require.True(t, tor.do(func() {
		assert.False(t, tor.book.Banned("127.0.0.4"), "the honest peer is not banned")
		assert.True(t, tor.book.Banned("127.0.0.2"), "the sender of bad blocks is banned")
		assert.True(t, tor.book.Banned("127.0.0.3"), "the peer lying about block hashes is banned")
		assert.Empty(t, tor.v2b.checks)
	}))
	for p := range n {
		assert.Len(t, liar.askedFor(p), 4, "piece %d came whole from the liar", p)
		assert.Equal(t, map[int]bool{1: true}, honest.askedFor(p), "piece %d: only the bad block again", p)
	}
	st := tor.Snapshot().Stats
	assert.Equal(t, n, st.HashFails)
	assert.Equal(t, int64(n)*merkle.BlockSize, st.Wasted, "a bad block wastes its 16 KiB, not the piece")
}

// dialSilentSeed connects a fake peer (127.0.0.5) that has every piece
// but never unchokes or answers, and waits until tor knows its bitfield:
// a piece failing before that would have no one but its sender to ask
// for block hashes.
func dialSilentSeed(t *testing.T, tor *Torrent, mi *metainfo.MetaInfo, stream []byte, addr string, ih [20]byte) *fakeV2Peer {
	t.Helper()
	silent := dialFakeV2(t, addr, "127.0.0.5", ih, mi.Info.NumPieces())
	silent.silent = true
	silent.serve(mi.Info, stream, false, nil, false)
	require.Eventually(t, func() bool {
		ps := tor.Snapshot().Peers
		return len(ps) == 1 && ps[0].Seed
	}, 10*time.Second, 20*time.Millisecond)
	return silent
}

func (f *fakeV2Peer) hashRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hashes
}

// A failed v2 piece whose block hashes nobody gives (a peer that never
// answers, the sender that rejects) waits a bounded time, then fails as
// a v1 piece does: on parole, re-fetched from one peer, and the peer that
// alone sent failing copies is banned all the same. Nothing is left
// waiting.
func TestV2BlockCheckFallsBackWithoutAnswers(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	tor, mi, stream, _, addr := v2RigClock(t, clock, false, 4*64<<10)
	ih := mi.ShortInfoHashV2()
	n := mi.Info.NumPieces()
	silent := dialSilentSeed(t, tor, mi, stream, addr, ih) // has everything, never unchokes or answers
	liar := dialFakeV2(t, addr, "127.0.0.2", ih, n)
	liar.serve(mi.Info, stream, true, nil, false)
	liar.send(&wire.Message{Type: wire.Unchoke})
	require.Eventually(t, func() bool { return silent.hashRequests() > 0 }, 10*time.Second, 20*time.Millisecond,
		"the failed piece's block hashes were asked of the peer that sent none of it")

	gone := false
	for range 400 {
		select {
		case <-liar.gone:
			gone = true
		default:
			clock.Advance(5 * time.Second)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		break
	}
	require.True(t, gone, "the peer sending bad pieces was never dropped")
	require.Eventually(t, func() bool { // past blockCheckGiveUp for a check started just before
		clock.Advance(5 * time.Second)
		left := -1
		tor.do(func() { left = len(tor.v2b.checks) })
		return left == 0
	}, 10*time.Second, 20*time.Millisecond, "a check left waiting")
	require.True(t, tor.do(func() {
		assert.True(t, tor.book.Banned("127.0.0.2"), "the sender of every failing copy is banned")
		assert.False(t, tor.book.Banned("127.0.0.5"))
	}))
	assert.GreaterOrEqual(t, tor.Snapshot().Stats.HashFails, 2)
}

// Failed pieces waiting for block hashes are bounded: with more pieces
// failing at once than maxBlockChecks and nobody answering, at most that
// many wait; the rest fail the v1 way at once (counted as failures, never
// held), and a peer that alone sent two of those is banned as before.
func TestV2BlockChecksAreBounded(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	const pieces = maxBlockChecks + 8
	tor, mi, stream, _, addr := v2RigClock(t, clock, false, pieces*64<<10)
	ih := mi.ShortInfoHashV2()
	n := mi.Info.NumPieces()
	dialSilentSeed(t, tor, mi, stream, addr, ih) // stays connected: a peer to ask that never answers
	liar := dialFakeV2(t, addr, "127.0.0.2", ih, n)
	liar.silent = true
	liar.serve(mi.Info, stream, true, nil, false)
	liar.send(&wire.Message{Type: wire.Unchoke})

	most := 0
	require.Eventually(t, func() bool {
		tor.do(func() { most = max(most, len(tor.v2b.checks)) })
		select {
		case <-liar.gone: // banned once two pieces failed the v1 way
			return true
		default:
			return false
		}
	}, 20*time.Second, 5*time.Millisecond, "the sender of failing pieces was not dropped")
	assert.LessOrEqual(t, most, maxBlockChecks)
	require.True(t, tor.do(func() {
		assert.Equal(t, maxBlockChecks, len(tor.v2b.checks), "the first ones wait for their block hashes")
		assert.GreaterOrEqual(t, tor.sess.Stats(clock.Now()).HashFails, 2, "the rest failed at once")
	}))
}
