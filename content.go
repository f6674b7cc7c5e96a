package braid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

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
	PieceLength int64    // 0 picks a default
	Comment     string
}

// ErrNothingToSeed is returned by Seed without files.
var ErrNothingToSeed = errors.New("nothing to seed")

// Seed builds a torrent from in-memory files, stores their data where
// downloads go, and starts seeding it. It returns the torrent and its
// .torrent bytes (in the browser, where files come from a file picker).
func (c *Client) Seed(ctx context.Context, files []SeedFile, o SeedOptions) (*Torrent, []byte, error) {
	if len(files) == 0 {
		return nil, nil, ErrNothingToSeed
	}
	co := metainfo.CreateOptions{Name: o.Name, PieceLength: o.PieceLength, Comment: o.Comment,
		CreatedBy: "Braid " + semver, SingleFile: len(files) == 1 && len(files[0].Path) <= 1}
	if co.Name == "" {
		co.Name = files[0].Path[len(files[0].Path)-1]
	}
	for _, tr := range o.Trackers {
		co.Announce = append(co.Announce, []string{tr})
	}
	readers := make([]io.Reader, len(files))
	for i, f := range files {
		if len(f.Path) == 0 {
			return nil, nil, fmt.Errorf("seed: file %d has no name", i)
		}
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
	st, _, err := c.node.OpenStorage(c.cfg.DataDir, mi.InfoHash, mi.Info)
	if err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	off := int64(0)
	for _, f := range files {
		if _, err := st.WriteAt(f.Data, off); err != nil {
			_ = st.Close()
			return nil, nil, fmt.Errorf("seed: store %s: %w", f.Path[len(f.Path)-1], err)
		}
		off += int64(len(f.Data))
	}
	if err := st.Close(); err != nil {
		return nil, nil, fmt.Errorf("seed: store: %w", err)
	}
	t, err := c.DownloadBytes(ctx, raw, func(o *downloadOptions) { o.trusted = true })
	if err != nil {
		return nil, nil, err
	}
	return t, raw, nil
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
			if info, err := metainfo.ParseInfo(rec.Info); err == nil {
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
func (c *Client) Resume(ctx context.Context, ih InfoHash, opts ...DownloadOption) (*Torrent, error) {
	if _, err := c.state.Load(ih); err != nil {
		return nil, fmt.Errorf("resume %s: %w", ih, ErrTorrentNotFound)
	}
	return c.Download(ctx, "magnet:?xt=urn:btih:"+ih.String(), opts...)
}
