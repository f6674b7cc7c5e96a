//go:build js

package main

import (
	"errors"
	"fmt"
	"io"
	"syscall/js"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/internal/jsbridge"
	"github.com/braid-bt/braid/internal/timing"
)

// maxRead bounds one read() call; streaming readers ask in pieces.
const maxRead = 16 << 20

// start creates the client: config {dbName, trackers, iceServers,
// iceTransportPolicy, publicTrackers, restore}. Torrents with a resume
// record in IndexedDB start again unless restore is false.
func (a *api) start(args []js.Value) (any, error) {
	if a.client.Load() != nil {
		return nil, nil
	}
	timing.Mark("start")
	cfg := braid.Config{NoListen: true, NoDHT: true}
	restore := true
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		o := args[0]
		if v := o.Get("dbName"); v.Type() == js.TypeString {
			cfg.DataDir = v.String()
			cfg.StateDir = v.String()
		}
		cfg.WSTrackers = stringList(o.Get("trackers"))
		if v := o.Get("restore"); v.Type() == js.TypeBoolean {
			restore = v.Bool()
		}
	}
	if cfg.DataDir == "" {
		cfg.DataDir, cfg.StateDir = "braid", "braid"
	}
	o := js.Global().Get("Object").New()
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		o = args[0]
	}
	var err error
	if cfg.ICEServers, cfg.ICERelayOnly, err = iceConfig(o); err != nil {
		return nil, err
	}
	pub, err := publicTrackersArg(o)
	if err != nil {
		return nil, err
	}
	a.ownTrackers = cfg.WSTrackers
	a.publicTrackers.Store(&pub)
	c, err := braid.New(cfg)
	if err != nil {
		return nil, err
	}
	if !a.client.CompareAndSwap(nil, c) {
		_ = c.Close()
		return nil, nil
	}
	timing.Mark("client")
	if restore {
		saved, err := c.Saved()
		if err != nil {
			return nil, err
		}
		for _, s := range saved {
			if _, err := c.Resume(a.ctx(), s.InfoHash); err != nil {
				js.Global().Get("console").Call("warn", "braid: resume "+s.Name+": "+err.Error())
			}
		}
	}
	return nil, nil
}

// download(src, {peers, trackers}): src is a magnet string, .torrent bytes
// (Uint8Array, ArrayBuffer) or a File/Blob.
func (a *api) download(args []js.Value) (any, error) {
	c, err := a.c()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: download needs a magnet link or .torrent bytes", errBadArgument)
	}
	var opts []braid.DownloadOption
	var extra []string
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		if p := stringList(args[1].Get("peers")); len(p) > 0 {
			opts = append(opts, braid.WithPeers(p...))
		}
		if extra = stringList(args[1].Get("trackers")); len(extra) > 0 {
			opts = append(opts, braid.WithTrackers(extra...))
		}
	}
	var magnet string
	var data []byte
	if args[0].Type() == js.TypeString {
		magnet = args[0].String()
	} else if data, err = bytesOf(args[0]); err != nil {
		return nil, err
	}
	// The client's own WebSocket trackers (start's trackers) join every
	// torrent: with them, no public ones are needed.
	if pub := a.pub(); len(pub) > 0 && len(a.ownTrackers) == 0 && needsPublicTrackers(magnet, data, extra) {
		opts = append(opts, braid.WithTrackers(pub...))
	}
	var t *braid.Torrent
	if magnet != "" {
		t, err = c.Download(a.ctx(), magnet, opts...)
	} else {
		t, err = c.DownloadBytes(a.ctx(), data, opts...)
	}
	if err != nil {
		return nil, err
	}
	return toJS(added(t))
}

// added is what download, seed and resume resolve with: the torrent's
// info hash (40 hex: the v1 one, or a v2-only torrent's truncated v2
// hash), its whole v2 hash (64 hex, "" for v1) and protocol ("" until a
// magnet's metadata arrives).
func added(t *braid.Torrent) map[string]any {
	return map[string]any{"infoHash": t.InfoHash(), "name": t.Name(), "infoHashV2": t.InfoHashV2(), "protocol": t.Protocol()}
}

// seed(files, {trackers, name, protocol, pieceLength}): files are File
// objects or {name, data}; protocol is "v1" (default), "v2" or "hybrid".
func (a *api) seed(args []js.Value) (any, error) {
	c, err := a.c()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 || args[0].Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: seed needs a list of files", errBadArgument)
	}
	// Trackers absent: the public trackers, so the torrent can be found.
	o := braid.SeedOptions{Trackers: a.pub()}
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		if v := args[1].Get("trackers"); !v.IsUndefined() && !v.IsNull() {
			o.Trackers = stringList(v)
		}
		if v := args[1].Get("name"); v.Type() == js.TypeString {
			o.Name = v.String()
		}
		if err := seedKind(args[1], &o); err != nil {
			return nil, err
		}
	}
	list := args[0]
	var files []braid.SeedFile
	for i := 0; i < list.Length(); i++ {
		f := list.Index(i)
		name := f.Get("name")
		if name.Type() != js.TypeString || name.String() == "" {
			return nil, fmt.Errorf("%w: file %d has no name", errBadArgument, i)
		}
		src := f
		if d := f.Get("data"); d.Type() == js.TypeObject {
			src = d
		}
		data, err := bytesOf(src)
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", name.String(), err)
		}
		files = append(files, braid.SeedFile{Path: []string{name.String()}, Data: data})
	}
	t, raw, err := c.Seed(a.ctx(), files, o)
	if err != nil {
		return nil, err
	}
	out, err := toJS(added(t))
	if err != nil {
		return nil, err
	}
	out.(js.Value).Set("torrent", jsbridge.Uint8Array(raw))
	return out, nil
}

// stats(infoHash, fields?) returns the named Stats fields (default set
// without fields).
func (a *api) stats(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	var fields []string
	if len(args) > 1 {
		fields = stringList(args[1])
	}
	st, err := c.Stats(ih, fields...)
	if err != nil {
		return nil, err
	}
	return toJS(st)
}

// get(infoHash) returns every Stats field.
func (a *api) get(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	st, err := c.Stats(ih, braid.StatsFields()...)
	if err != nil {
		return nil, err
	}
	return toJS(st)
}

// list() returns every Stats field of each active torrent.
func (a *api) list([]js.Value) (any, error) {
	c, err := a.c()
	if err != nil {
		return nil, err
	}
	out := []braid.Stats{}
	for _, ih := range c.List() {
		if st, err := c.Stats(ih, braid.StatsFields()...); err == nil {
			out = append(out, st)
		}
	}
	return toJS(out)
}

// saved() lists torrents with a resume record, running or paused.
func (a *api) saved([]js.Value) (any, error) {
	c, err := a.c()
	if err != nil {
		return nil, err
	}
	s, err := c.Saved()
	if err != nil {
		return nil, err
	}
	timing.Mark("saved")
	return toJS(s)
}

// resume(infoHash) starts a paused torrent from its record.
func (a *api) resume(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	timing.Mark("resume")
	t, err := c.Resume(a.ctx(), ih)
	if err != nil {
		return nil, err
	}
	timing.Mark("resumed")
	return toJS(added(t))
}

func (a *api) listFiles(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	fs, err := c.ListFiles(ih)
	if err != nil {
		return nil, err
	}
	return toJS(fs)
}

// remove(infoHash, {deleteData}).
func (a *api) remove(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	del := len(args) > 1 && args[1].Type() == js.TypeObject && args[1].Get("deleteData").Truthy()
	return nil, c.Remove(ih, braid.DeleteData(del))
}

func (a *api) stopAndSerialize(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	return nil, c.StopAndSerialize(ih)
}

func (a *api) stopAllAndSerialize([]js.Value) (any, error) {
	c, err := a.c()
	if err != nil {
		return nil, err
	}
	return nil, c.StopAllAndSerialize()
}

// read(infoHash, fileIndex, offset, length) resolves with the bytes once
// downloaded, fetching them first.
func (a *api) read(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	if len(args) < 4 {
		return nil, fmt.Errorf("%w: read(infoHash, fileIndex, offset, length)", errBadArgument)
	}
	idx, off, n := args[1].Int(), int64(args[2].Float()), args[3].Int()
	if n < 0 || n > maxRead {
		return nil, fmt.Errorf("%w: read length %d (at most %d)", errBadArgument, n, maxRead)
	}
	t, err := c.Torrent(ih)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	got, err := t.ReadFileAt(a.ctx(), idx, buf, off)
	if err != nil && got == 0 && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return jsbridge.Uint8Array(buf[:got]), nil // short at the end of the file
}

// fileBlob(infoHash, fileIndex) resolves with a Blob of a complete file.
func (a *api) fileBlob(args []js.Value) (any, error) {
	c, ih, err := a.torrentArg(args)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 {
		return nil, fmt.Errorf("%w: fileBlob(infoHash, fileIndex)", errBadArgument)
	}
	idx := args[1].Int()
	files, err := c.ListFiles(ih)
	if err != nil {
		return nil, err
	}
	// idx is the file's index in the torrent; the list leaves padding out.
	var file *braid.FileEntry
	for i := range files {
		if files[i].Index == idx {
			file = &files[i]
		}
	}
	if file == nil {
		return nil, fmt.Errorf("%w: no file %d", errBadArgument, idx)
	}
	if !file.Complete {
		return nil, fmt.Errorf("%w: %s is not complete yet", errBadArgument, file.Name)
	}
	t, err := c.Torrent(ih)
	if err != nil {
		return nil, err
	}
	parts := js.Global().Get("Array").New()
	const chunk = 4 << 20
	buf := make([]byte, chunk)
	for off := int64(0); off < file.Length; {
		n, err := t.ReadFileAt(a.ctx(), idx, buf, off)
		if n == 0 {
			return nil, fmt.Errorf("read %s: %w", file.Name, err)
		}
		parts.Call("push", jsbridge.Uint8Array(buf[:n]))
		off += int64(n)
	}
	return js.Global().Get("Blob").New(parts, map[string]any{"type": "application/octet-stream"}), nil
}

// torrentArg reads the info hash in args[0].
func (a *api) torrentArg(args []js.Value) (*braid.Client, braid.InfoHash, error) {
	c, err := a.c()
	if err != nil {
		return nil, braid.InfoHash{}, err
	}
	if len(args) == 0 || args[0].Type() != js.TypeString {
		return nil, braid.InfoHash{}, fmt.Errorf("%w: want an info hash", errBadArgument)
	}
	ih, err := braid.ParseInfoHash(args[0].String())
	if err != nil {
		return nil, braid.InfoHash{}, fmt.Errorf("%w: %w", braid.ErrTorrentNotFound, err)
	}
	return c, ih, nil
}
