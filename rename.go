package braid

import (
	"fmt"
	"slices"

	"github.com/braid-bt/braid/core/metainfo"
)

// WithRenames stores the torrent's data under other names than the
// torrent gives (as a user renamed them): name, when not empty, replaces
// the torrent's name on disk (the folder of a multi-file torrent, the file
// of a single-file one); files maps a file index to its new path below
// that folder (components, as in the torrent). Hashes and piece layout
// are unchanged; the info hash is the torrent's own. Every component is
// checked as a torrent's own paths are; a bad one fails the start with
// ErrInvalidTorrent.
func WithRenames(name string, files map[int][]string) DownloadOption {
	return func(o *downloadOptions) {
		o.renameTop = name
		o.renameFiles = files
	}
}

// storageInfo is the info the storage maps paths from: the torrent's
// own, or a copy with the renames of WithRenames applied.
func (o *downloadOptions) storageInfo(info *metainfo.Info) (*metainfo.Info, error) {
	if info == nil || (o.renameTop == "" && len(o.renameFiles) == 0) {
		return info, nil
	}
	cp := *info
	cp.Files = slices.Clone(info.Files)
	if o.renameTop != "" {
		if err := metainfo.ValidatePathComponent(o.renameTop); err != nil {
			return nil, fmt.Errorf("%w: rename to %q: %w", ErrInvalidTorrent, o.renameTop, err)
		}
		cp.Name = o.renameTop
		if !info.MultiFile {
			cp.Files[0].Path = []string{o.renameTop}
		}
	}
	for i, p := range o.renameFiles {
		if !info.MultiFile || i < 0 || i >= len(cp.Files) || cp.Files[i].Padding || len(p) == 0 {
			return nil, fmt.Errorf("%w: rename of file %d", ErrInvalidTorrent, i)
		}
		for _, c := range p {
			if err := metainfo.ValidatePathComponent(c); err != nil {
				return nil, fmt.Errorf("%w: rename of file %d to %q: %w", ErrInvalidTorrent, i, c, err)
			}
		}
		cp.Files[i].Path = slices.Clone(p)
	}
	return &cp, nil
}
