package metadata

import (
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// testInfo is size pseudo-random bytes and their SHA-1: the Fetcher never
// parses the dict, it only hashes it.
func testInfo(size int) ([]byte, [20]byte) {
	r := rand.New(rand.NewPCG(uint64(size), 7))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b, sha1.Sum(b)
}

// answer is what a simulated peer does with a request.
type answer int

const (
	serve answer = iota
	reject
	drop // never answers
)

// server simulates one remote peer's side of ut_metadata.
type server struct {
	info []byte
	// act decides per request; nil serves everything.
	act func(piece int) answer
	// corrupt changes the data it sends.
	corrupt bool
}

func honest(info []byte) *server { return &server{info: info} }

func (s *server) reply(piece int) ([]byte, int, answer) {
	a := serve
	if s.act != nil {
		a = s.act(piece)
	}
	if a != serve {
		return nil, 0, a
	}
	data, total, err := Piece(s.info, piece)
	if err != nil {
		return nil, 0, reject
	}
	if s.corrupt {
		data = slices.Clone(data)
		data[0] ^= 0xff
	}
	return data, total, serve
}

type event struct {
	peer  PeerID
	piece int
}

// result of a simulated fetch.
type result struct {
	rounds     int
	hashFails  int
	requests   []event
	maxPending map[PeerID]int
}

// run drives f against servers, one round per second: every peer gets
// what Next hands out, then all answers arrive. It stops when f is done or
// after maxRounds.
func run(t *testing.T, f *Fetcher, servers map[PeerID]*server, now *time.Time, maxRounds int) result {
	t.Helper()
	res := result{maxPending: map[PeerID]int{}}
	ids := make([]PeerID, 0, len(servers))
	for id := range servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for ; res.rounds < maxRounds && !f.Done(); res.rounds++ {
		var batch []event
		for _, id := range ids {
			n := 0
			for {
				piece, ok := f.Next(id, *now)
				if !ok {
					break
				}
				n++
				batch = append(batch, event{id, piece})
			}
			res.maxPending[id] = max(res.maxPending[id], n)
		}
		res.requests = append(res.requests, batch...)
		for _, e := range batch {
			data, total, a := servers[e.peer].reply(e.piece)
			switch a {
			case reject:
				f.Rejected(e.peer, e.piece)
			case serve:
				_, err := f.Received(e.peer, e.piece, total, data, *now)
				if err != nil {
					require.ErrorIs(t, err, ErrHashMismatch)
					res.hashFails++
				}
			}
		}
		*now = now.Add(time.Second)
	}
	return res
}

func addAll(t *testing.T, f *Fetcher, servers map[PeerID]*server) {
	t.Helper()
	ids := make([]PeerID, 0, len(servers))
	for id := range servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		require.NoError(t, f.AddPeer(id, len(servers[id].info)))
	}
}

// dump describes f's state for failure messages.
func (f *Fetcher) dump() string {
	s := fmt.Sprintf("size=%d solo=%v src=%d/%v missing=%d\n", f.size, f.solo, f.source, f.hasSource, f.missing)
	for id, p := range f.peers {
		s += fmt.Sprintf("  peer %d size=%d susp=%v ban=%v out=%v backoff=%v\n", id, p.size, p.suspect, p.banned, p.outstanding, p.backoff)
	}
	return s
}
