package braid

import (
	"fmt"
	"maps"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/picker"
)

// FilePriority orders a torrent's files: every piece of a higher priority
// is started before any of a lower one, and FileSkip files are not
// downloaded (but for the bytes of pieces they share with a wanted file).
type FilePriority int8

// File priorities, from "leave it" to "first".
const (
	FileSkip   FilePriority = FilePriority(picker.PriorityNone)
	FileLow    FilePriority = FilePriority(picker.PriorityLow)
	FileNormal FilePriority = FilePriority(picker.PriorityNormal)
	FileHigh   FilePriority = FilePriority(picker.PriorityHigh)
)

// valid reports whether p is one of the four priorities.
func (p FilePriority) valid() bool { return p >= FileSkip && p <= FileHigh }

// WithFilePriorities starts the torrent with these files' priorities (by
// index in the torrent, as ListFiles numbers them); files not named are
// normal, or as the resume record left them. It overrides WithFiles and
// the record for the files it names. An index the torrent does not have
// fails with ErrNoSuchFile.
func WithFilePriorities(prios map[int]FilePriority) DownloadOption {
	return func(o *downloadOptions) {
		if o.prios == nil {
			o.prios = make(map[int]FilePriority, len(prios))
		}
		maps.Copy(o.prios, prios)
	}
}

// SetFilePriorities changes the priorities of the files named (by index in
// the torrent; the others keep theirs) while the torrent runs, without
// stopping it: a skipped file's pieces are no longer requested, a file
// made wanted again is fetched, and the resume record keeps the choice.
// ErrNoSuchFile for an index the torrent does not have, ErrBadLimit for a
// priority not among the four, ErrTorrentNotFound once the torrent has stopped. Before a
// magnet's metadata arrives the indexes cannot be checked: the choice
// applies to the files that exist once it does.
func (t *Torrent) SetFilePriorities(prios map[int]FilePriority) error {
	ep, err := enginePriorities(t.t.Info(), prios)
	if err != nil {
		return err
	}
	if !t.t.SetFilePriorities(ep) {
		return ErrTorrentNotFound
	}
	return nil
}

// FilePriorities are the priorities of the torrent's files in force, by
// index (once changes sent before are applied: it waits for the torrent's
// data check); nil before its metadata is known. ErrTorrentNotFound once the
// torrent has stopped.
func (t *Torrent) FilePriorities() ([]FilePriority, error) {
	ep := t.t.FilePriorities()
	if ep == nil {
		select {
		case <-t.t.Stopped():
			return nil, ErrTorrentNotFound
		default:
			return nil, nil
		}
	}
	out := make([]FilePriority, len(ep))
	for i, pr := range ep {
		out[i] = FilePriority(min(pr, picker.PriorityHigh))
	}
	return out, nil
}

// enginePriorities checks prios against info (when known) and converts
// them; nil for none.
func enginePriorities(info *metainfo.Info, prios map[int]FilePriority) (map[int]picker.Priority, error) {
	if len(prios) == 0 {
		return nil, nil
	}
	out := make(map[int]picker.Priority, len(prios))
	for f, pr := range prios {
		if !pr.valid() {
			return nil, fmt.Errorf("%w: file %d: priority %d is not one of skip, low, normal, high", ErrBadLimit, f, pr)
		}
		if f < 0 {
			return nil, fmt.Errorf("%w: file %d", ErrNoSuchFile, f)
		}
		out[f] = picker.Priority(pr)
	}
	if info != nil {
		files := make([]int, 0, len(out))
		for f := range out {
			files = append(files, f)
		}
		if err := checkFiles(info, files); err != nil {
			return nil, err
		}
	}
	return out, nil
}
