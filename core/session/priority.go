package session

import (
	"time"

	"github.com/braid-bt/braid/core/picker"
)

// SetPiecePriority changes one piece's priority; PriorityNone stops
// fetching it. Out-of-range pieces are ignored.
func (s *Session) SetPiecePriority(piece int, pr picker.Priority) {
	if piece < 0 || piece >= s.numPieces {
		return
	}
	s.setPrio(piece, pr)
	s.afterPriorities()
}

// SetFilePriority sets the priority of every piece of a file. A piece
// shared with a neighbouring file takes the higher of the two priorities.
// Out-of-range files are ignored.
func (s *Session) SetFilePriority(file int, pr picker.Priority) {
	if file < 0 || file >= len(s.info.Files) {
		return
	}
	if s.filePrio == nil {
		s.filePrio = make([]picker.Priority, len(s.info.Files))
		for i := range s.filePrio {
			s.filePrio[i] = picker.PriorityNormal
		}
	}
	s.filePrio[file] = pr
	first, last := s.info.FilePieces(file)
	for i := first; i <= last && i < s.numPieces; i++ {
		if i == first || i == last {
			s.setPrio(i, s.sharedPriority(i))
		} else {
			s.setPrio(i, pr)
		}
	}
	s.afterPriorities()
}

// FilePriority is the priority last set for a file (PriorityNormal unless
// changed).
func (s *Session) FilePriority(file int) picker.Priority {
	if file < 0 || file >= len(s.info.Files) {
		return picker.PriorityNone
	}
	if s.filePrio == nil {
		return picker.PriorityNormal
	}
	return s.filePrio[file]
}

// PiecePriority is a piece's current priority.
func (s *Session) PiecePriority(piece int) picker.Priority { return s.pk.PiecePriority(piece) }

// sharedPriority is the highest priority among the non-empty files that
// hold bytes of piece i.
func (s *Session) sharedPriority(i int) picker.Priority {
	first, last := s.info.PieceFiles(i)
	pr := picker.PriorityNone
	for f := first; f <= last; f++ {
		if s.info.Files[f].Length > 0 {
			pr = max(pr, s.filePrio[f])
		}
	}
	return pr
}

// setPrio changes a piece's priority and keeps every peer's count of
// wanted pieces right.
func (s *Session) setPrio(i int, pr picker.Priority) {
	was := s.wanted(i)
	s.pk.SetPiecePriority(i, pr)
	if now := s.wanted(i); now != was {
		for _, p := range s.order {
			if p.has.Has(i) {
				if now {
					p.wantCount++
				} else {
					p.wantCount--
				}
			}
		}
	}
}

// afterPriorities updates interest, completion and requests.
func (s *Session) afterPriorities() {
	now := s.now
	for _, p := range s.order {
		s.updateInterest(p)
	}
	if s.pk.Done() {
		if !s.completed {
			s.becameComplete()
		}
	} else {
		s.completed = false
	}
	s.updateUploadOnly()
	s.refillAll(now)
	s.dropDoomed(now)
}

// touch records the latest time the engine passed in, for calls that take
// none (priorities).
func (s *Session) touch(now time.Time) {
	if now.After(s.now) {
		s.now = now
	}
}
