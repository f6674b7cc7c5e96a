package engine

import (
	"slices"

	"github.com/braid-bt/braid/core/bitfield"
	"github.com/braid-bt/braid/persist"
)

// verifyOnDisk decides which pieces are already present: the pieces a
// resume record lists (or every piece, when asked to check existing data)
// are hashed in parallel on the pool. Storage that keeps verified marks
// with its pieces (persist.VerifiedStore) has its marked pieces trusted
// and only its other stored pieces hashed. Returns false if the torrent
// was stopped meanwhile.
func (t *Torrent) verifyOnDisk() bool {
	n := t.info.NumPieces()
	have := bitfield.New(n)
	var todo []int
	vs, _ := t.storage.(persist.VerifiedStore)
	if t.spec.Trusted {
		// The caller just hashed this data to build the torrent.
		for i := range n {
			have.Set(i)
			if vs != nil {
				vs.MarkVerified(i)
			}
		}
		t.check = CheckResult{Checked: n, Valid: n}
		t.startHave = have
		return true
	}
	trusted := 0
	if vs != nil && (t.spec.CheckAll || t.spec.Record != nil) {
		for _, p := range vs.VerifiedPieces() {
			if p >= 0 && p < n && !have.Has(p) {
				have.Set(p)
				trusted++
			}
		}
	}
	if t.spec.CheckAll {
		// Pieces written after the last record save are on disk too (a
		// crash loses the record's newest state, never the data): check all.
		todo = make([]int, n)
		for i := range todo {
			todo[i] = i
		}
		if vs != nil {
			todo = vs.StoredPieces() // the rest reads as zeros
		}
	} else if r := t.spec.Record; r != nil {
		if bf, err := bitfield.FromBytes(r.Bitfield, n); err == nil {
			todo = bf.Indices()
		}
	}
	todo = slices.DeleteFunc(todo, func(p int) bool { return p < 0 || p >= n || have.Has(p) })
	type result struct {
		piece int
		ok    bool
	}
	results := make(chan result, len(todo))
	for _, p := range todo {
		p := p
		t.e.hasher.submit(hashJob{
			src: t.storage, off: t.info.PieceOffset(p), length: t.info.PieceSize(p),
			pieceLength: t.info.PieceLength, want: t.want(p),
			done: func(ok bool, err error) {
				if ok && vs != nil {
					vs.MarkVerified(p)
				}
				results <- result{p, ok}
			},
		})
	}
	res := CheckResult{Checked: len(todo), Valid: trusted, Trusted: trusted}
	for range todo {
		select {
		case r := <-results:
			if r.ok {
				have.Set(r.piece)
				res.Valid++
			} else {
				res.Invalid++
			}
		case <-t.quit:
			return false
		}
	}
	t.check = res
	t.startHave = have
	return true
}
