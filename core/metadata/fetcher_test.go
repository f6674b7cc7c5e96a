package metadata

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/braid-bt/braid/core/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFetchFromSeveralPeers(t *testing.T) {
	info, ih := testInfo(10*pieceSize + 123)
	f := NewFetcher(ih)
	servers := map[PeerID]*server{1: honest(info), 2: honest(info), 3: honest(info)}
	addAll(t, f, servers)
	assert.False(t, f.Done())
	assert.Nil(t, f.Info())

	now := t0
	res := run(t, f, servers, &now, 10)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
	assert.Equal(t, 2, res.rounds, "3 peers × 2 requests cover 11 pieces in two rounds")
	assert.Len(t, res.requests, 11, "each piece asked once")
	for id, n := range res.maxPending {
		assert.Equal(t, MaxOutstanding, n, "peer %d", id)
	}
	got, total := f.Progress()
	assert.Equal(t, 11, got)
	assert.Equal(t, 11, total)

	_, ok := f.Next(1, now)
	assert.False(t, ok, "nothing to ask once done")
	done, err := f.Received(1, 0, len(info), info[:pieceSize], now)
	assert.True(t, done)
	assert.NoError(t, err, "late data after done is harmless")
}

func TestFetchSinglePiece(t *testing.T) {
	info, ih := testInfo(100)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	piece, ok := f.Next(1, t0)
	require.True(t, ok)
	require.Equal(t, 0, piece)
	_, ok = f.Next(1, t0)
	require.False(t, ok, "the only piece is out")
	buf := bytes.Clone(info)
	done, err := f.Received(1, 0, len(info), buf, t0)
	require.NoError(t, err)
	require.True(t, done)
	buf[0] ^= 1
	assert.Equal(t, info, f.Info(), "Received copies the data")
}

func TestMaxOutstandingPerPeer(t *testing.T) {
	info, ih := testInfo(5 * pieceSize)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	var got []int
	for {
		p, ok := f.Next(1, t0)
		if !ok {
			break
		}
		got = append(got, p)
	}
	assert.Equal(t, []int{0, 1}, got)

	// An answer frees a slot.
	_, err := f.Received(1, 0, len(info), info[:pieceSize], t0)
	require.NoError(t, err)
	p, ok := f.Next(1, t0)
	require.True(t, ok)
	assert.Equal(t, 2, p)
}

func TestTimeoutReRequest(t *testing.T) {
	info, ih := testInfo(4 * pieceSize)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	require.NoError(t, f.AddPeer(2, len(info)))

	p0, _ := f.Next(1, t0)
	p1, _ := f.Next(1, t0)
	require.Equal(t, []int{0, 1}, []int{p0, p1})
	// Peer 1 never answers. Peer 2 gets the other pieces first.
	p2, _ := f.Next(2, t0.Add(time.Second))
	p3, _ := f.Next(2, t0.Add(time.Second))
	require.Equal(t, []int{2, 3}, []int{p2, p3})
	for _, p := range []int{2, 3} {
		data, total, err := Piece(info, p)
		require.NoError(t, err)
		_, err = f.Received(2, p, total, data, t0.Add(2*time.Second))
		require.NoError(t, err)
	}
	_, ok := f.Next(2, t0.Add(RequestTimeout-time.Nanosecond))
	assert.False(t, ok, "pieces 0 and 1 are still with peer 1")

	later := t0.Add(RequestTimeout)
	p, ok := f.Next(2, later)
	require.True(t, ok, "timed out: ask another peer")
	assert.Equal(t, 0, p)
	p, ok = f.Next(1, later)
	require.True(t, ok, "peer 1's slots were freed by the timeout")
	assert.Equal(t, 1, p)

	// Peer 1's late answer to piece 0 still counts.
	done, err := f.Received(1, 0, len(info), info[:pieceSize], later)
	require.NoError(t, err)
	assert.False(t, done)
	done, err = f.Received(2, 0, len(info), info[:pieceSize], later)
	require.NoError(t, err, "a duplicate is ignored")
	assert.False(t, done)
	done, err = f.Received(1, 1, len(info), info[pieceSize:2*pieceSize], later)
	require.NoError(t, err)
	assert.True(t, done)
}

func TestLostAnswers(t *testing.T) {
	info, ih := testInfo(20*pieceSize + 1)
	f := NewFetcher(ih)
	n := 0
	flaky := func(int) answer { // drops every third request
		n++
		if n%3 == 0 {
			return drop
		}
		return serve
	}
	servers := map[PeerID]*server{
		1: {info: info, act: flaky},
		2: {info: info, act: func(int) answer { return drop }},
		3: honest(info),
	}
	addAll(t, f, servers)
	now := t0
	res := run(t, f, servers, &now, 200)
	require.True(t, f.Done(), "after %d rounds", res.rounds)
	assert.Equal(t, info, f.Info())
	assert.Greater(t, len(res.requests), 21, "lost requests were asked again")
}

func TestRejected(t *testing.T) {
	info, ih := testInfo(3 * pieceSize)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	require.NoError(t, f.AddPeer(2, len(info)))
	p, _ := f.Next(1, t0)
	require.Equal(t, 0, p)
	f.Rejected(1, 0)
	f.Rejected(1, 0) // twice, or never asked: ignored
	f.Rejected(1, 99)
	f.Rejected(42, 0)

	p, ok := f.Next(2, t0.Add(time.Second))
	require.True(t, ok)
	assert.Equal(t, 0, p, "a rejected piece goes to another peer at once")
	_, ok = f.Next(1, t0.Add(RequestTimeout-time.Nanosecond))
	assert.False(t, ok, "a peer that rejected is left alone")
	_, ok = f.Next(1, t0.Add(RequestTimeout))
	assert.True(t, ok)
}

func TestAllReject(t *testing.T) {
	info, ih := testInfo(3 * pieceSize)
	f := NewFetcher(ih)
	gotMetadata := false
	servers := map[PeerID]*server{
		1: {info: info, act: func(int) answer {
			if gotMetadata {
				return serve
			}
			return reject
		}},
	}
	addAll(t, f, servers)
	now := t0
	run(t, f, servers, &now, 30)
	require.False(t, f.Done())
	gotMetadata = true
	run(t, f, servers, &now, 30)
	require.True(t, f.Done())
}

func TestRemovePeerFreesRequests(t *testing.T) {
	info, ih := testInfo(2 * pieceSize)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	require.NoError(t, f.AddPeer(2, len(info)))
	f.Next(1, t0)
	f.Next(1, t0)
	_, ok := f.Next(2, t0)
	require.False(t, ok)
	f.RemovePeer(1)
	f.RemovePeer(1)
	p, ok := f.Next(2, t0)
	require.True(t, ok)
	assert.Equal(t, 0, p)
	_, err := f.Received(1, 1, len(info), info[pieceSize:], t0)
	assert.ErrorIs(t, err, ErrUnknownPeer)
	_, ok = f.Next(1, t0)
	assert.False(t, ok)
}

func TestReceivedValidation(t *testing.T) {
	info, ih := testInfo(2*pieceSize + 10)
	tests := map[string]struct {
		piece, total int
		data         []byte
		want         error
	}{
		"wrong total":      {0, len(info) + 1, info[:pieceSize], ErrSizeMismatch},
		"huge total":       {0, 1 << 40, info[:pieceSize], ErrSizeMismatch},
		"negative piece":   {-1, len(info), info[:pieceSize], ErrPieceOutOfRange},
		"piece past end":   {3, len(info), info[:10], ErrPieceOutOfRange},
		"short piece":      {0, len(info), info[:pieceSize-1], ErrPieceLength},
		"oversized piece":  {0, len(info), make([]byte, pieceSize+1), ErrPieceLength},
		"long last piece":  {2, len(info), info[:11], ErrPieceLength},
		"short last piece": {2, len(info), info[:9], ErrPieceLength},
		"empty":            {1, len(info), nil, ErrPieceLength},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := NewFetcher(ih)
			require.NoError(t, f.AddPeer(1, len(info)))
			done, err := f.Received(1, tc.piece, tc.total, tc.data, t0)
			require.ErrorIs(t, err, tc.want)
			assert.False(t, done)
			got, _ := f.Progress()
			assert.Zero(t, got, "nothing stored")
		})
	}
}

func TestLyingPeerThenHonestPeers(t *testing.T) {
	info, ih := testInfo(6 * pieceSize)
	f := NewFetcher(ih)
	servers := map[PeerID]*server{
		1: {info: info, corrupt: true},
		2: honest(info),
		3: honest(info),
	}
	addAll(t, f, servers)
	// Only the liar and peer 2 take part in the first copy.
	now := t0
	for _, id := range []PeerID{1, 2, 1, 2, 1, 2} {
		p, ok := f.Next(id, now)
		require.True(t, ok)
		data, total, _ := servers[id].reply(p)
		done, err := f.Received(id, p, total, data, now)
		if p < 5 {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, ErrHashMismatch)
		require.False(t, done)
	}
	got, _ := f.Progress()
	assert.Zero(t, got, "the bad copy is dropped")
	assert.False(t, f.Banned(1), "not proven yet: two peers wrote that copy")
	assert.False(t, f.Banned(2))

	// Now one copy at a time, from the unsuspected peer first.
	res := run(t, f, servers, &now, 20)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
	assert.Zero(t, res.hashFails)
	for _, e := range res.requests {
		assert.Equal(t, 3, e.peer, "the untainted peer supplies the copy")
	}
}

func TestLyingPeerWithOneHonestPeer(t *testing.T) {
	info, ih := testInfo(4*pieceSize + 5)
	f := NewFetcher(ih)
	servers := map[PeerID]*server{1: {info: info, corrupt: true}, 2: honest(info)}
	addAll(t, f, servers)
	now := t0
	res := run(t, f, servers, &now, 50)
	require.True(t, f.Done(), "honest peer is never shut out")
	assert.Equal(t, info, f.Info())
	assert.Equal(t, 2, res.hashFails, "a mixed copy, then the liar's own copy")
	assert.True(t, f.Banned(1))
	assert.False(t, f.Banned(2))
	_, err := f.Received(1, 0, len(info), info[:pieceSize], now)
	assert.NoError(t, err, "after done everything is ignored")
}

func TestSoleLiarBanned(t *testing.T) {
	info, ih := testInfo(3 * pieceSize)
	f := NewFetcher(ih)
	liar := map[PeerID]*server{1: {info: info, corrupt: true}}
	addAll(t, f, liar)
	now := t0
	res := run(t, f, liar, &now, 10)
	assert.Equal(t, 1, res.hashFails)
	assert.True(t, f.Banned(1))
	_, ok := f.Next(1, now)
	assert.False(t, ok, "banned peers get no requests")
	_, err := f.Received(1, 0, len(info), info[:pieceSize], now)
	assert.ErrorIs(t, err, ErrBanned)
	assert.ErrorIs(t, f.AddPeer(1, 0), ErrBadSize)
	require.NoError(t, f.AddPeer(1, len(info)))
	assert.True(t, f.Banned(1), "a new handshake does not clear a ban")

	honestOne := map[PeerID]*server{2: honest(info)}
	addAll(t, f, honestOne)
	run(t, f, honestOne, &now, 10)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
}

func TestSoloSourceTimesOut(t *testing.T) {
	info, ih := testInfo(3 * pieceSize)
	f := NewFetcher(ih)
	// Peers 1 and 2 are both honest, but 1 is corrupt the first time
	// round so both become suspects; then 1 goes silent.
	servers := map[PeerID]*server{1: {info: info, corrupt: true}, 2: honest(info)}
	addAll(t, f, servers)
	now := t0
	for _, id := range []PeerID{1, 2, 1} {
		p, _ := f.Next(id, now)
		data, total, _ := servers[id].reply(p)
		f.Received(id, p, total, data, now)
	}
	require.False(t, f.Banned(1))
	servers[1] = &server{info: info, act: func(int) answer { return drop }}
	res := run(t, f, servers, &now, 60)
	require.True(t, f.Done(), "a silent source is replaced")
	assert.Equal(t, info, f.Info())
	assert.False(t, f.Banned(1), "silence is not lying")
	assert.Zero(t, res.hashFails)
}

func TestSizes(t *testing.T) {
	_, ih := testInfo(1)
	f := NewFetcher(ih)
	for _, n := range []int{0, -1, MaxSize + 1, 1 << 40} {
		assert.ErrorIs(t, f.AddPeer(1, n), ErrBadSize, "size %d", n)
	}
	_, ok := f.Next(1, t0)
	assert.False(t, ok, "a peer with a bad size is not used")
	_, total := f.Progress()
	assert.Zero(t, total)

	require.NoError(t, f.AddPeer(1, MaxSize))
	_, total = f.Progress()
	assert.Equal(t, MaxSize/pieceSize, total)

	// A disagreeing peer is kept but not asked.
	assert.ErrorIs(t, f.AddPeer(2, 5000), ErrSizeMismatch)
	_, ok = f.Next(2, t0)
	assert.False(t, ok)
	_, err := f.Received(2, 0, 5000, make([]byte, 5000), t0)
	assert.NoError(t, err, "stale data for another size is dropped quietly")
	_, ok = f.Next(1, t0)
	assert.True(t, ok)
}

func TestMajoritySizeWins(t *testing.T) {
	info, ih := testInfo(3*pieceSize + 7)
	f := NewFetcher(ih)
	liar := &server{info: make([]byte, MaxSize)}
	servers := map[PeerID]*server{1: liar, 2: honest(info), 3: honest(info)}
	require.NoError(t, f.AddPeer(1, MaxSize), "first size heard wins")
	assert.ErrorIs(t, f.AddPeer(2, len(info)), ErrSizeMismatch, "a tie keeps the current size")
	p, ok := f.Next(1, t0)
	require.True(t, ok)
	require.NoError(t, f.AddPeer(3, len(info)), "two peers outvote one")
	_, err := f.Received(1, p, MaxSize, make([]byte, pieceSize), t0)
	require.NoError(t, err, "an answer from before the switch is dropped")
	_, ok = f.Next(1, t0)
	assert.False(t, ok, "the outvoted peer is not asked")

	now := t0
	run(t, f, servers, &now, 10)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
}

func TestLyingSizeAloneThenBanned(t *testing.T) {
	// The liar is first and alone with its size, the honest peer ties and
	// loses; the liar's copy fails, so it is banned and the size flips.
	info, ih := testInfo(2*pieceSize + 1)
	f := NewFetcher(ih)
	fake, _ := testInfo(5 * pieceSize)
	require.NoError(t, f.AddPeer(1, len(fake)))
	assert.ErrorIs(t, f.AddPeer(2, len(info)), ErrSizeMismatch)
	servers := map[PeerID]*server{1: honest(fake), 2: honest(info)}
	now := t0
	res := run(t, f, servers, &now, 20)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
	assert.True(t, f.Banned(1))
	assert.Equal(t, 1, res.hashFails)
}

func TestRemovingTheOnlyPeersOfASizeSwitches(t *testing.T) {
	info, ih := testInfo(pieceSize + 1)
	f := NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, 999))
	assert.ErrorIs(t, f.AddPeer(2, len(info)), ErrSizeMismatch)
	f.RemovePeer(1)
	servers := map[PeerID]*server{2: honest(info)}
	now := t0
	run(t, f, servers, &now, 5)
	require.True(t, f.Done())

	// Re-announcing a different size releases the peer's requests.
	f = NewFetcher(ih)
	require.NoError(t, f.AddPeer(1, len(info)))
	require.NoError(t, f.AddPeer(2, len(info)))
	f.Next(1, t0)
	f.Next(1, t0)
	assert.ErrorIs(t, f.AddPeer(1, 50), ErrSizeMismatch)
	p, ok := f.Next(2, t0)
	require.True(t, ok)
	assert.Equal(t, 0, p)
}

func TestPiece(t *testing.T) {
	info, _ := testInfo(2*pieceSize + 3)
	tests := []struct {
		piece int
		want  []byte
		err   bool
	}{
		{0, info[:pieceSize], false},
		{1, info[pieceSize : 2*pieceSize], false},
		{2, info[2*pieceSize:], false},
		{3, nil, true},
		{-1, nil, true},
	}
	for _, tc := range tests {
		data, total, err := Piece(info, tc.piece)
		if tc.err {
			assert.ErrorIs(t, err, ErrPieceOutOfRange, "piece %d", tc.piece)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, data)
		assert.Equal(t, len(info), total)
	}
	_, _, err := Piece(nil, 0)
	assert.ErrorIs(t, err, ErrPieceOutOfRange)

	// A served piece makes a valid data message.
	data, total, err := Piece(info, 2)
	require.NoError(t, err)
	m, err := wire.ParseMetadataMsg(wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataData, Piece: 2, TotalSize: total, Data: data}))
	require.NoError(t, err)
	assert.Equal(t, info[2*pieceSize:], m.Data)
}

func TestSoloSourceRemoved(t *testing.T) {
	info, ih := testInfo(3 * pieceSize)
	f := NewFetcher(ih)
	servers := map[PeerID]*server{1: {info: info, corrupt: true}, 2: honest(info)}
	addAll(t, f, servers)
	now := t0
	for _, id := range []PeerID{1, 2, 1} {
		p, _ := f.Next(id, now)
		data, total, _ := servers[id].reply(p)
		f.Received(id, p, total, data, now)
	}
	// Both are suspects now; peer 1 came first, so it is the source.
	_, ok := f.Next(2, now)
	require.False(t, ok)
	p, ok := f.Next(1, now)
	require.True(t, ok, f.dump())
	_, err := f.Received(1, p, len(info), info[p*pieceSize:(p+1)*pieceSize], now)
	require.NoError(t, err)
	got, _ := f.Progress()
	require.Equal(t, 1, got)

	f.RemovePeer(1)
	p, ok = f.Next(2, now)
	require.True(t, ok)
	assert.Equal(t, 0, p, "the new source starts a fresh copy")
	got, _ = f.Progress()
	assert.Zero(t, got)
	_, err = f.Received(2, 0, len(info), info[:pieceSize], now)
	require.NoError(t, err)
	delete(servers, 1)
	run(t, f, servers, &now, 10)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())
}

// TestSilentLiarLosesSizeVote: a peer heard first that announces a wrong
// size and never answers must not stall the fetch once it times out.
func TestSilentLiarLosesSizeVote(t *testing.T) {
	info := bytes.Repeat([]byte("x"), 40_000)
	ih := sha1.Sum(info)
	f := NewFetcher(ih)
	now := time.Unix(0, 0)
	require.NoError(t, f.AddPeer(1, 2000)) // the liar, heard first
	require.ErrorIs(t, f.AddPeer(2, len(info)), ErrSizeMismatch)
	_, ok := f.Next(1, now)
	require.True(t, ok, "the liar is asked first")
	_, ok = f.Next(2, now)
	require.False(t, ok, "the honest peer's size lost the tie")
	now = now.Add(RequestTimeout + time.Second)
	for !f.Done() {
		piece, ok := f.Next(2, now)
		require.True(t, ok, "after the liar timed out the honest size wins")
		end := min((piece+1)*16384, len(info))
		_, err := f.Received(2, piece, len(info), info[piece*16384:end], now)
		require.NoError(t, err)
	}
	require.Equal(t, info, f.Info())
}

// A v2-only magnet's dict is checked by its SHA-256 (btmh): the right
// dict completes, another one is a mismatch.
func TestFetchV2(t *testing.T) {
	info, _ := testInfo(3*pieceSize + 5)
	v2 := sha256.Sum256(info)
	f := NewFetcherV2(v2)
	servers := map[PeerID]*server{1: honest(info), 2: honest(info)}
	addAll(t, f, servers)
	now := t0
	run(t, f, servers, &now, 10)
	require.True(t, f.Done())
	assert.Equal(t, info, f.Info())

	other := bytes.Clone(info)
	other[10] ^= 1
	g := NewFetcherV2(v2)
	require.NoError(t, g.AddPeer(1, len(other)))
	var done bool
	var err error
	for p := 0; p < 4; p++ {
		piece, ok := g.Next(1, t0)
		require.True(t, ok)
		done, err = g.Received(1, piece, len(other), other[piece*pieceSize:min((piece+1)*pieceSize, len(other))], t0)
	}
	assert.False(t, done, "a dict that does not hash to the btmh")
	assert.ErrorIs(t, err, ErrHashMismatch)
}
