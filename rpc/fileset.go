package rpc

import (
	"fmt"
	"maps"
	"slices"

	"github.com/braid-bt/braid"
)

// Transmission's file priorities (tr_priority_t).
const (
	prioLow    = -1
	prioNormal = 0
	prioHigh   = 1
)

// fileArgs are the file choice arguments of torrent-set and torrent-add:
// lists of file numbers (RPC numbering: the torrent's files without its
// padding). In torrent-set an empty list names every file, as in
// Transmission; in torrent-add none.
type fileArgs struct {
	lists [5][]int
	set   [5]bool
	// adding: torrent-add's, where an empty list names no file.
	adding bool
}

// fileKeys are the arguments in the order they apply: wanted, then
// unwanted, then the priorities (high, normal, low).
var fileKeys = [5]string{"files-wanted", "files-unwanted", "priority-high", "priority-normal", "priority-low"}

func parseFileArgs(a args) (fileArgs, error) {
	var fa fileArgs
	for i, k := range fileKeys {
		l, err := a.ints(k)
		if err != nil {
			return fa, err
		}
		fa.lists[i], fa.set[i] = l, a.has(k)
	}
	return fa, nil
}

// any reports whether some file argument was given.
func (fa fileArgs) any() bool { return slices.Contains(fa.set[:], true) }

// apply works out the choice of a torrent with n files from its present
// one: the sorted unwanted files and the priorities other than normal.
// who names the torrent in errors.
func (fa fileArgs) apply(who string, n int, unwanted []int, prios map[int]int) ([]int, map[int]int, error) {
	skip := map[int]bool{}
	for _, u := range unwanted {
		skip[u] = true
	}
	pr := maps.Clone(prios)
	if pr == nil {
		pr = map[int]int{}
	}
	for i, k := range fileKeys {
		if !fa.set[i] {
			continue
		}
		list := fa.lists[i]
		if len(list) == 0 && !fa.adding {
			list = make([]int, n)
			for j := range list {
				list[j] = j
			}
		}
		for _, f := range list {
			if f < 0 || f >= n {
				return nil, nil, argErr(fmt.Sprintf("invalid argument %q: file %d (%s has %d)", k, f, who, n))
			}
			switch k {
			case "files-wanted":
				delete(skip, f)
			case "files-unwanted":
				skip[f] = true
			case "priority-high":
				pr[f] = prioHigh
			case "priority-normal":
				delete(pr, f)
			case "priority-low":
				pr[f] = prioLow
			}
		}
	}
	if len(skip) == n {
		return nil, nil, argErr(fmt.Sprintf("invalid argument \"files-unwanted\": every file of %s would be unwanted", who))
	}
	out := make([]int, 0, len(skip))
	for f := range skip {
		out = append(out, f)
	}
	slices.Sort(out)
	if len(out) == 0 {
		out = nil
	}
	if len(pr) == 0 {
		pr = nil
	}
	return out, pr, nil
}

// filePriorities is a torrent's choice in Braid's terms, by index in the
// torrent: index[i] is the torrent index of RPC file i.
func filePriorities(index []int, unwanted []int, prios map[int]int) map[int]braid.FilePriority {
	out := make(map[int]braid.FilePriority, len(index))
	for i, ti := range index {
		switch prios[i] {
		case prioHigh:
			out[ti] = braid.FileHigh
		case prioLow:
			out[ti] = braid.FileLow
		default:
			out[ti] = braid.FileNormal
		}
	}
	for _, u := range unwanted {
		if u >= 0 && u < len(index) {
			out[index[u]] = braid.FileSkip
		}
	}
	return out
}

// fileIndex is the torrent index of each RPC file of e: the running
// torrent's list, else the one last seen.
func (s *Server) fileIndex(e entry) []int {
	var idx []int
	if s.active(e) != nil {
		if fs, err := s.c.ListFiles(e.Hash); err == nil {
			for _, f := range fs {
				idx = append(idx, f.Index)
			}
		}
	}
	if len(idx) == 0 {
		for _, f := range e.Files {
			idx = append(idx, f.Index)
		}
	}
	return idx
}

// priorities is torrent-get's priorities list of e.
func (v *view) priorities() []int {
	out := make([]int, len(v.fileList()))
	for i := range out {
		out[i] = v.e.Priorities[i]
	}
	return out
}
