package metadata

// chooseSize fetches the size announced by the most usable peers: banned
// ones never count, suspects only when no unsuspected peer is left. A tie
// keeps the current size, else goes to the size heard first. Changing the
// size starts the fetch over.
func (f *Fetcher) chooseSize() {
	if f.done {
		return
	}
	type vote struct{ count, first int }
	// Trust order: peers neither suspected nor silent, then unsuspected,
	// then answering, then anyone not banned.
	filters := []func(*peer) bool{
		func(pr *peer) bool { return !pr.suspect && !pr.mute },
		func(pr *peer) bool { return !pr.suspect },
		func(pr *peer) bool { return !pr.mute },
		func(pr *peer) bool { return true },
	}
	var votes map[int]*vote
	for _, ok := range filters {
		votes = map[int]*vote{}
		for _, pr := range f.peers {
			if pr.size == 0 || pr.banned || !ok(pr) {
				continue
			}
			v := votes[pr.size]
			if v == nil {
				v = &vote{first: pr.seq}
				votes[pr.size] = v
			}
			v.count++
			v.first = min(v.first, pr.seq)
		}
		if len(votes) > 0 {
			break
		}
	}
	best, bestVote := f.size, votes[f.size]
	for size, v := range votes {
		if bestVote == nil || v.count > bestVote.count ||
			v.count == bestVote.count && best != f.size && v.first < bestVote.first {
			best, bestVote = size, v
		}
	}
	if bestVote == nil || best == f.size {
		return // no peers: keep what we have for when they return
	}
	f.size = best
	f.pieces = make([]slot, (best+pieceSize-1)/pieceSize)
	f.missing = len(f.pieces)
	f.hasSource = false
	for _, pr := range f.peers {
		pr.outstanding = pr.outstanding[:0]
	}
}
