// File priorities: the ones a torrent starts with, changes while it runs,
// and their codes in the resume record.

package engine

import "github.com/braid-bt/braid/core/picker"

// Record codes of file priorities. They predate the low level, which
// took the negative code so older records keep their meaning.
const (
	recordPrioLow    = -1
	recordPrioNone   = 0
	recordPrioNormal = 1
	recordPrioHigh   = 2
	recordPrioNow    = 3
)

// recordPriority is the record code of pr.
func recordPriority(pr picker.Priority) int {
	switch pr {
	case picker.PriorityNone:
		return recordPrioNone
	case picker.PriorityLow:
		return recordPrioLow
	case picker.PriorityHigh:
		return recordPrioHigh
	case picker.PriorityNow:
		return recordPrioNow
	}
	return recordPrioNormal
}

// priorityOfRecord is the priority a record code stands for; false for a
// code no priority has.
func priorityOfRecord(code int) (picker.Priority, bool) {
	switch code {
	case recordPrioNone:
		return picker.PriorityNone, true
	case recordPrioLow:
		return picker.PriorityLow, true
	case recordPrioNormal:
		return picker.PriorityNormal, true
	case recordPrioHigh:
		return picker.PriorityHigh, true
	case recordPrioNow:
		return picker.PriorityNow, true
	}
	return picker.PriorityNormal, false
}

// SetFilePriorities changes the priorities of the files named (by index
// in the torrent; others keep theirs) while the torrent runs, without
// stopping it: PriorityNone files are no longer requested, and pieces of
// higher priorities are started first. Before the session starts (while
// checking, or before a magnet's metadata) the choice waits for it. The
// resume record keeps it. False if the torrent has stopped.
func (t *Torrent) SetFilePriorities(prios map[int]picker.Priority) bool {
	return t.send(func() {
		if t.spec.FilePriorities == nil {
			t.spec.FilePriorities = make(map[int]picker.Priority, len(prios))
		}
		for f, pr := range prios {
			t.spec.FilePriorities[f] = pr
		}
		if t.sess == nil {
			return
		}
		now := t.e.clock.Now()
		was := t.sess.Complete()
		for f, pr := range prios {
			if t.sess.FilePriority(f) != pr {
				t.sess.SetFilePriority(f, pr)
			}
		}
		if was && !t.sess.Complete() {
			// Wanting again: back to downloading, and the seeds we
			// left for having nothing to trade are worth a dial now.
			t.state.Store(StateDownloading)
			t.book.Wanting(now)
			t.fillPeers(now)
		}
		t.publish(now)
	})
}

// FilePriorities are the files' priorities in force (by index in the
// torrent); nil before the info dictionary is known or once the torrent
// has stopped.
func (t *Torrent) FilePriorities() []picker.Priority {
	var out []picker.Priority
	t.do(func() {
		if t.info == nil {
			return
		}
		out = make([]picker.Priority, len(t.info.Files))
		for i := range out {
			out[i] = t.filePriority(i)
		}
	})
	return out
}

// filePriority is file f's priority: the session's once it runs, else the
// one asked for, else the record's; on the loop.
func (t *Torrent) filePriority(f int) picker.Priority {
	if t.sess != nil {
		return t.sess.FilePriority(f)
	}
	if pr, ok := t.spec.FilePriorities[f]; ok {
		return pr
	}
	if rec := t.spec.Record; rec != nil && len(rec.FilePriorities) == len(t.info.Files) {
		if pr, ok := priorityOfRecord(rec.FilePriorities[f]); ok {
			return pr
		}
	}
	return picker.PriorityNormal
}

// applyFilePriorities gives a new session the priorities asked for (they
// override a record's and a selection's), and the piece order.
func (t *Torrent) applyFilePriorities() {
	t.sess.SetSequential(t.spec.Sequential)
	for f, pr := range t.spec.FilePriorities {
		if f >= 0 && f < len(t.info.Files) && t.sess.FilePriority(f) != pr {
			t.sess.SetFilePriority(f, pr)
		}
	}
}

// send runs fn on the loop without waiting for it: a change that must not
// hold its caller while the torrent checks its data (the loop takes
// commands only once the check is done). Commands run in the order sent.
// False once the torrent has stopped.
func (t *Torrent) send(fn func()) bool {
	select {
	case <-t.loopDone:
		return false
	default:
	}
	return t.post(evCmd{fn: fn, done: make(chan struct{})})
}
