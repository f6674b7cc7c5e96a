package braid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/braid-bt/braid/core/metainfo"
)

// ReadFileAt reads len(p) bytes at off of file index of the torrent. It
// waits for pieces still downloading, fetching them first (streaming), until
// ctx ends.
func (t *Torrent) ReadFileAt(ctx context.Context, index int, p []byte, off int64) (int, error) {
	info := t.t.Info()
	if info == nil {
		return 0, fmt.Errorf("read file %d: metadata not known yet", index)
	}
	if index < 0 || index >= len(info.Files) {
		return 0, fmt.Errorf("read file %d: no such file (the torrent has %d)", index, len(info.Files))
	}
	f := info.Files[index]
	if off < 0 || off > f.Length {
		return 0, fmt.Errorf("read file %d at %d: out of range", index, off)
	}
	want := len(p)
	if rest := f.Length - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := t.t.ReadAt(ctx, p, f.Offset+off)
	if err != nil {
		return n, fmt.Errorf("read file %d: %w", index, err)
	}
	if n < want {
		return n, io.EOF // past the end of the file, as io.ReaderAt says
	}
	return n, nil
}

// SeedFile is one file of a torrent built by Seed.
type SeedFile struct {
	Path []string // components below the torrent name
	Data []byte
}

// SeedOptions describe the torrent Seed builds.
type SeedOptions struct {
	Name        string
	Trackers    []string // announce URLs, one tier each
	PieceLength int64    // 0 picks a default (v2 and hybrid: a power of two of at least 16 KiB)
	Comment     string
	// Protocol is the torrent kind, as `braid create --protocol` takes it:
	// "v1" (the default, also for ""), "v2" (BEP 52: reaches v2 clients
	// only) or "hybrid" (both swarms; v1 clients see its padding files).
	Protocol string
}

var (
	// ErrNothingToSeed is returned by Seed without files.
	ErrNothingToSeed = errors.New("nothing to seed")
	// ErrUnknownProtocol is returned by Seed for a Protocol other than
	// "v1", "v2" or "hybrid".
	ErrUnknownProtocol = errors.New("unknown torrent protocol")
)

// Seed builds a torrent from in-memory files, stores their data where
// downloads go, and starts seeding it. It returns the torrent and its
// .torrent bytes (in the browser, where files come from a file picker).
func (c *Client) Seed(ctx context.Context, files []SeedFile, o SeedOptions) (*Torrent, []byte, error) {
	if len(files) == 0 {
		return nil, nil, ErrNothingToSeed
	}
	proto := metainfo.ProtocolV1
	if o.Protocol != "" {
		p, err := metainfo.ParseProtocol(o.Protocol)
		if err != nil {
			return nil, nil, fmt.Errorf("seed: %q: %w (want v1, v2 or hybrid)", o.Protocol, ErrUnknownProtocol)
		}
		proto = p
	}
	co := metainfo.CreateOptions{Name: o.Name, PieceLength: o.PieceLength, Comment: o.Comment, Protocol: proto,
		CreatedBy: "Braid " + semver, SingleFile: len(files) == 1 && len(files[0].Path) <= 1}
	for i, f := range files {
		if len(f.Path) == 0 {
			return nil, nil, fmt.Errorf("seed: file %d has no name", i)
		}
	}
	if co.Name == "" {
		co.Name = files[0].Path[len(files[0].Path)-1]
	}
	if proto != metainfo.ProtocolV1 {
		// A v2 file tree lists a directory's files together, in order.
		files = slices.Clone(files)
		slices.SortStableFunc(files, func(a, b SeedFile) int { return metainfo.CompareFileTreePaths(a.Path, b.Path) })
	}
	for _, tr := range o.Trackers {
		co.Announce = append(co.Announce, []string{tr})
	}
	readers := make([]io.Reader, len(files))
	for i, f := range files {
		co.Files = append(co.Files, metainfo.FileSpec{Path: f.Path, Length: int64(len(f.Data))})
		readers[i] = bytes.NewReader(f.Data)
	}
	raw, err := metainfo.Create(co, io.MultiReader(readers...))
	if err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	mi, err := metainfo.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	if err := c.storeSeedFiles(mi, files); err != nil {
		return nil, nil, err
	}
	t, err := c.DownloadBytes(ctx, raw, func(o *downloadOptions) { o.trusted = true })
	if err != nil {
		return nil, nil, err
	}
	return t, raw, nil
}

// storeSeedFiles writes Seed's files where the torrent's storage keeps
// them: each at its offset in the torrent (v2 and hybrid torrents start
// every file on a piece boundary; padding is not stored).
func (c *Client) storeSeedFiles(mi *metainfo.MetaInfo, files []SeedFile) error {
	st, _, err := c.node.OpenStorage(c.cfg.DataDir, sourceOf(mi).ih, mi.Info)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	i := 0
	for _, f := range mi.Info.Files {
		if f.Padding {
			continue
		}
		if i >= len(files) || int64(len(files[i].Data)) != f.Length {
			_ = st.Close()
			return fmt.Errorf("seed: the torrent's files do not match the ones given (%s)", strings.Join(f.Path, "/"))
		}
		if _, err := st.WriteAt(files[i].Data, f.Offset); err != nil {
			_ = st.Close()
			return fmt.Errorf("seed: store %s: %w", strings.Join(f.Path, "/"), err)
		}
		i++
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("seed: store: %w", err)
	}
	return nil
}

// SavedTorrent is a torrent known from its resume record.
type SavedTorrent struct {
	InfoHash InfoHash `json:"info_hash"`
	Name     string   `json:"name"`
	Active   bool     `json:"active"`
}

// Saved lists the torrents that have a resume record (stopped or active),
// so a front end can offer to resume them after a restart.
func (c *Client) Saved() ([]SavedTorrent, error) {
	hs, err := c.state.List()
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	out := make([]SavedTorrent, 0, len(hs))
	for _, h := range hs {
		s := SavedTorrent{InfoHash: InfoHash(h), Name: InfoHash(h).String()}
		if rec, err := c.state.Load(h); err == nil {
			// The record keeps the name; parsing the info dictionary (a
			// hash per piece) is only for records that lack it.
			if rec.Name != "" {
				s.Name = rec.Name
			} else if info, err := metainfo.ParseInfo(rec.Info); err == nil {
				s.Name = info.Name
			}
		}
		_, s.Active = c.eng.Torrent(s.InfoHash)
		out = append(out, s)
	}
	return out, nil
}

// Resume starts a torrent from its resume record alone (the record keeps
// the info dictionary and trackers). Options apply as to Download (a
// daemon passes WithFiles to keep a file choice).
// A running torrent is returned as it is.
func (c *Client) Resume(ctx context.Context, ih InfoHash, opts ...DownloadOption) (*Torrent, error) {
	return c.start(ctx, torrentSource{ih: ih, resume: true}, opts)
}
