package picker

// Priority orders pieces; PriorityNone pieces are never picked.
type Priority int8

// Priorities from "skip" to "needed right now" (streaming). Every piece
// of a higher priority is started before any of a lower one (as
// libtorrent's file priorities: high before normal before low).
const (
	PriorityNone   Priority = 0
	PriorityLow    Priority = 1
	PriorityNormal Priority = 2
	PriorityHigh   Priority = 3
	PriorityNow    Priority = 4
)

const numPrio = int(PriorityNow) + 1

// PiecePriority returns the priority of piece i.
func (p *Picker) PiecePriority(i int) Priority {
	if i < 0 || i >= len(p.pieces) {
		return PriorityNone
	}
	return p.pieces[i].prio
}

// Wanted reports whether piece i is still to be downloaded: its priority is
// above None and it is not verified.
func (p *Picker) Wanted(i int) bool {
	return i >= 0 && i < len(p.pieces) && p.pieces[i].prio > PriorityNone && !p.pieces[i].done
}

// SetPiecePriority changes piece i's priority; PriorityNone stops picking
// it, and out-of-range values are clamped.
func (p *Picker) SetPiecePriority(i int, pr Priority) {
	if i < 0 || i >= len(p.pieces) {
		return
	}
	pr = max(PriorityNone, min(pr, PriorityNow))
	ps := &p.pieces[i]
	if ps.prio == pr {
		return
	}
	if !ps.done {
		switch {
		case ps.prio == PriorityNone:
			p.wantedMissing++
			p.left += p.PieceSize(i)
		case pr == PriorityNone:
			p.wantedMissing--
			p.left -= p.PieceSize(i)
		}
	}
	p.unlink(int32(i), true)
	ps.prio = pr
	p.settle(int32(i), true)
}
