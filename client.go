package braid

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/braid-bt/braid/core/merkle"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/engine"
	"github.com/braid-bt/braid/internal/timing"
	"github.com/braid-bt/braid/node"
	"github.com/braid-bt/braid/persist"
)

// Client runs torrents. Its methods are safe for concurrent use.
type Client struct {
	cfg    Config
	node   *node.Node // the engine and what it needs: listeners, DHT, storage
	eng    *engine.Engine
	state  persist.StateStore
	peerID [20]byte

	// mu guards only what it names: no file or network I/O happens under
	// it. The running torrents are the engine's registry.
	mu       sync.Mutex
	starting map[InfoHash]chan struct{} // torrents a start is opening
	closed   bool

	beforeStorage func(InfoHash) // tests: runs as a start opens storage
}

// New starts a client: it opens the state directory and the peer listener.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	peerID := newPeerID()
	n, err := node.New(node.Config{
		Engine: engine.Config{
			PeerID:             peerID,
			MaxPeersPerTorrent: cfg.MaxPeersPerTorrent,
			MaxConns:           cfg.MaxConns,
			TrackerMinInterval: cfg.TrackerMinInterval,
			UploadRate:         cfg.UploadRate,
			DownloadRate:       cfg.DownloadRate,
			Encryption:         cfg.Encryption,
			Version:            semver,
		},
		StateDir: cfg.StateDir, ListenAddr: cfg.ListenAddr, NoListen: cfg.NoListen, NoUTP: cfg.NoUTP,
		NoPortMapping: cfg.NoPortMapping, NoDHT: cfg.NoDHT, DHTAddr: cfg.DHTAddr, DHTBootstrap: cfg.DHTBootstrap,
		NoLSD: cfg.NoLSD, WSListenAddr: cfg.WSListenAddr, NoWebRTC: cfg.NoWebRTC, WSTrackers: cfg.WSTrackers,
		ICEServers: cfg.ICEServers, RelayOnly: cfg.ICERelayOnly, RTCLoopback: cfg.RTCLoopback, Logger: cfg.Logger, Blocklist: cfg.Blocklist,
		Proxy: cfg.Proxy, ProxyAllowDirect: cfg.ProxyAllowDirect,
	})
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, node: n, eng: n.Engine(), state: n.State(), peerID: peerID,
		starting: make(map[InfoHash]chan struct{})}, nil
}

// ListenAddr is the address peers can reach this client on ("" if none).
func (c *Client) ListenAddr() string { return c.node.ListenAddr() }

// WSURL is the ws:// URL browsers can dial this client's peers on ("" if
// Config.WSListenAddr is unset).
func (c *Client) WSURL() string { return c.node.WSURL() }

// PeerID is this client's peer id.
func (c *Client) PeerID() [20]byte { return c.peerID }

// DownloadOption adjusts one Download call.
type DownloadOption func(*downloadOptions)

type downloadOptions struct {
	files     []int // WithFiles; nil: every file (or a magnet's so=)
	peers     []string
	trackers  []string
	dir       string
	trusted   bool                 // Seed: the data was just hashed
	superSeed bool                 // WithSuperSeed
	prios     map[int]FilePriority // WithFilePriorities
	seq       bool                 // WithSequential

	renameTop   string           // WithRenames
	renameFiles map[int][]string // WithRenames
}

// WithTrackers adds trackers (HTTP, UDP or WebSocket) to this torrent, each
// in its own tier after the torrent's own.
func WithTrackers(urls ...string) DownloadOption {
	return func(o *downloadOptions) { o.trackers = append(o.trackers, urls...) }
}

// WithPeers dials these peers ("host:port") besides any the trackers name.
func WithPeers(addrs ...string) DownloadOption {
	return func(o *downloadOptions) { o.peers = append(o.peers, addrs...) }
}

// WithFiles downloads only these files, by their index in the torrent (as
// ListFiles and `braid info` number them); the rest are left alone, but
// for the bytes of pieces they share with a chosen file. It takes the
// place of a magnet's so= list. For a torrent whose file list is known,
// an index it does not have (or a padding file's) fails with
// ErrNoSuchFile.
func WithFiles(indexes ...int) DownloadOption {
	return func(o *downloadOptions) { o.files = append(o.files, indexes...) }
}

// WithDir saves this torrent's data under dir instead of Config.DataDir.
func WithDir(dir string) DownloadOption {
	return func(o *downloadOptions) { o.dir = dir }
}

// Download starts (or resumes) a torrent from a .torrent file path or a
// magnet URI. A torrent with a resume record verifies its recorded pieces on
// disk, then continues; a magnet whose record holds the info dictionary
// resumes without asking peers for it. Downloading a torrent that is already
// active returns it.
func (c *Client) Download(ctx context.Context, src string, opts ...DownloadOption) (*Torrent, error) {
	if strings.HasPrefix(strings.ToLower(src), "magnet:") {
		m, err := metainfo.ParseMagnet(src)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidTorrent, err)
		}
		ih := m.InfoHash
		if !m.HasV1() {
			// btmh alone: a v2-only torrent, whose swarm is the v2 hash
			// truncated. Its metadata must hash to the whole v2 hash.
			ih = [20]byte(m.InfoHashV2[:20])
		}
		// A magnet with both btih and btmh names a hybrid: both swarms.
		return c.start(ctx, torrentSource{
			ih: ih, ihV2: m.InfoHashV2, name: m.Name, tiers: magnetTiers(m.Trackers),
			urlList: m.WebSeeds, peers: m.Peers, selectOnly: m.SelectOnly,
		}, opts)
	}
	data, err := c.node.ReadTorrentFile(src)
	if errors.Is(err, metainfo.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTorrent, err)
	}
	if err != nil {
		return nil, err
	}
	t, err := c.DownloadBytes(ctx, data, opts...)
	if errors.Is(err, ErrInvalidTorrent) {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return t, err
}

// magnetTiers puts each magnet tracker in its own tier, as BEP 12 does for
// a plain announce list without tiers.
func magnetTiers(trs []string) [][]string {
	out := make([][]string, 0, len(trs))
	for _, tr := range trs {
		out = append(out, []string{tr})
	}
	return out
}

// DownloadBytes starts (or resumes) a torrent from raw .torrent bytes.
func (c *Client) DownloadBytes(ctx context.Context, data []byte, opts ...DownloadOption) (*Torrent, error) {
	mi, err := metainfo.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTorrent, err)
	}
	return c.start(ctx, sourceOf(mi), opts)
}

// sourceOf is what a parsed .torrent tells us. A v2-only torrent is known
// by its v2 info hash truncated to 20 bytes, as its swarm is (BEP 52).
func sourceOf(mi *metainfo.MetaInfo) torrentSource {
	ih := mi.InfoHash
	if !mi.Info.HasV1() {
		ih = mi.ShortInfoHashV2()
	}
	return torrentSource{
		ih: ih, ihV2: mi.InfoHashV2, info: mi.Info, infoBytes: mi.InfoBytes, layers: mi.PieceLayers,
		name: mi.Info.Name, tiers: mi.Tiers(), urlList: mi.URLList,
	}
}

// torrentSource is what a .torrent or a magnet tells us.
type torrentSource struct {
	ih         [20]byte
	ihV2       [32]byte       // v2 and hybrid torrents (BEP 52)
	info       *metainfo.Info // nil for a magnet without a record
	infoBytes  []byte
	layers     map[merkle.Hash][]merkle.Hash // a v2 torrent's piece layers
	name       string
	tiers      [][]string
	urlList    []string
	peers      []string
	selectOnly []int
	// resume: start only from a resume record (Resume); without one the
	// start fails with ErrTorrentNotFound. The record is loaded once, after
	// the claim, so it is the newest one.
	resume bool
}

func (c *Client) start(ctx context.Context, src torrentSource, opts []DownloadOption) (*Torrent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o downloadOptions
	for _, f := range opts {
		f(&o)
	}
	if o.files != nil {
		if err := checkFiles(src.info, o.files); err != nil {
			return nil, err
		}
		src.selectOnly = o.files
	}
	prios, err := enginePriorities(src.info, o.prios)
	if err != nil {
		return nil, err
	}
	ih := InfoHash(src.ih)
	for {
		running, wait, err := c.claim(ih)
		if running != nil || err != nil {
			return running, err
		}
		if wait == nil {
			break // ours to start
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer c.unclaim(ih)
	rec, err := c.state.Load(ih)
	if src.resume && err != nil {
		return nil, fmt.Errorf("resume %s: %w", ih, ErrTorrentNotFound)
	}
	rec, recStatus := c.checkRecord(ih, rec, err)
	timing.Mark("record-loaded")
	if src.info == nil && rec != nil {
		// A magnet we met before: its record carries the info dictionary.
		if info, err := metainfo.ParseInfo(rec.Info); err == nil {
			src.info, src.infoBytes, src.name = info, rec.Info, info.Name
			if len(src.tiers) == 0 {
				src.tiers = rec.Trackers
			}
			if info.HasV2() {
				src.ihV2 = sha256.Sum256(rec.Info)
			}
			if info.HasV2() && len(rec.PieceLayers) > 0 {
				// DecodeRecord checked them against the file roots (a
				// hybrid magnet's record has them once they were fetched).
				src.layers, _ = metainfo.ParsePieceLayers(rec.PieceLayers, info)
			}
		}
	}
	savePath := c.cfg.DataDir
	if o.dir != "" {
		savePath = o.dir
	} else if rec != nil && rec.SavePath != "" {
		savePath = rec.SavePath
	}
	spec := engine.Spec{
		InfoHash: src.ih, InfoHashV2: src.ihV2, PieceLayers: src.layers,
		Info: src.info, InfoBytes: src.infoBytes, Name: src.name,
		Tiers: append(src.tiers, magnetTiers(o.trackers)...), URLList: src.urlList, SavePath: savePath,
		State: c.state, Record: rec, Peers: append(o.peers, src.peers...),
		SelectOnly: src.selectOnly, FilePriorities: prios, Sequential: o.seq, Trusted: o.trusted && src.info != nil, SuperSeed: o.superSeed,
		Handle: func(et *engine.Torrent) any {
			return &Torrent{t: et, c: c, record: recStatus, added: time.Now()}
		},
		OpenStorage: func(info *metainfo.Info) (persist.Storage, bool, error) {
			si, err := o.storageInfo(info)
			if err != nil {
				return nil, false, err
			}
			return c.node.OpenStorage(savePath, src.ih, si)
		},
	}
	if src.info != nil {
		if c.beforeStorage != nil {
			c.beforeStorage(ih)
		}
		si, err := o.storageInfo(src.info)
		if err != nil {
			return nil, err
		}
		st, hasData, err := c.node.OpenStorage(savePath, src.ih, si)
		if err != nil {
			return nil, err
		}
		spec.Storage, spec.CheckAll = st, hasData
		timing.Mark("storage-open")
	}
	et, err := c.eng.AddTorrent(spec)
	if err != nil {
		if spec.Storage != nil {
			_ = spec.Storage.Close()
		}
		return nil, fmt.Errorf("start torrent: %w", err)
	}
	return et.Handle().(*Torrent), nil
}

// claim decides what a start of ih does, under the client's lock but
// with no I/O under it: return the running torrent; wait (for another
// start of ih, for the previous copy leaving, or for a failed copy to be
// stopped); or, with neither, start it (unclaim when done).
func (c *Client) claim(ih InfoHash) (running *Torrent, wait <-chan struct{}, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, ErrClosed
	}
	if ch, ok := c.starting[ih]; ok {
		c.mu.Unlock()
		return nil, ch, nil
	}
	if gone := c.eng.Departing(ih); gone != nil {
		c.mu.Unlock()
		return nil, gone, nil
	}
	et, ok := c.eng.Torrent(ih)
	if ok && et.State() != engine.StateError {
		c.mu.Unlock()
		return et.Handle().(*Torrent), nil, nil
	}
	done := make(chan struct{})
	c.starting[ih] = done
	c.mu.Unlock()
	if ok {
		// Stopped by an error (a full disk, say): adding it again is how
		// a user retries. Save what it has, then start afresh.
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		_ = et.StopAndSerialize(sctx)
		cancel()
		c.unclaim(ih)
		return nil, done, nil // closed: look again
	}
	return nil, nil, nil
}

// unclaim ends a start of ih, waking whoever waits on it.
func (c *Client) unclaim(ih InfoHash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.starting[ih]; ok {
		delete(c.starting, ih)
		close(ch)
	}
}

// checkRecord returns the torrent's resume record from what the state
// store's Load returned; a torn or corrupt record is reported (logged, and
// in Torrent.RecordStatus) and ignored.
func (c *Client) checkRecord(ih InfoHash, rec *persist.Record, err error) (*persist.Record, RecordStatus) {
	switch {
	case err == nil:
		if key, ok := rec.InfoHashArray(); ok && InfoHash(key) == ih {
			return rec, RecordOK
		}
		c.cfg.Logger.Warn("resume record for another torrent ignored", "info_hash", ih.String())
		return nil, RecordCorrupt
	case errors.Is(err, persist.ErrNoRecord):
		return nil, RecordNone
	default:
		c.cfg.Logger.Warn("resume record ignored", "info_hash", ih.String(), "err", err)
		return nil, RecordCorrupt
	}
}

func (c *Client) lookup(ih InfoHash) (*Torrent, error) {
	et, ok := c.eng.Torrent(ih)
	if !ok {
		return nil, fmt.Errorf("%s: %w", ih, ErrTorrentNotFound)
	}
	return et.Handle().(*Torrent), nil
}

// Torrent returns an active torrent.
func (c *Client) Torrent(ih InfoHash) (*Torrent, error) { return c.lookup(ih) }

// List returns the info hashes of all active torrents, sorted.
func (c *Client) List() []InfoHash {
	ts := c.eng.Torrents()
	out := make([]InfoHash, 0, len(ts))
	for _, t := range ts {
		out = append(out, InfoHash(t.InfoHash()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// RemoveOption adjusts Remove.
type RemoveOption func(*removeOptions)

type removeOptions struct{ deleteData bool }

// DeleteData makes Remove delete the torrent's downloaded files too.
func DeleteData(yes bool) RemoveOption {
	return func(o *removeOptions) { o.deleteData = yes }
}

// Remove stops a torrent and deletes its resume record and, with
// DeleteData(true), its data.
func (c *Client) Remove(ih InfoHash, opts ...RemoveOption) error {
	var o removeOptions
	for _, f := range opts {
		f(&o)
	}
	t, err := c.lookup(ih)
	if err != nil {
		return c.removeSaved(ih, o.deleteData)
	}
	if err := t.t.Remove(o.deleteData); !errors.Is(err, engine.ErrLeaving) {
		return err
	}
	// Another call was stopping it, and has saved its record (named by
	// the torrent's own hash, whichever of a hybrid's ih was).
	return c.removeSaved(t.InfoHash(), o.deleteData)
}

// removeSaved removes a stopped torrent known only from its resume record
// (paused, say): the record, and with deleteData the data it names.
func (c *Client) removeSaved(ih InfoHash, deleteData bool) error {
	rec, err := c.state.Load(ih)
	if errors.Is(err, persist.ErrNoRecord) {
		return fmt.Errorf("%s: %w", ih, ErrTorrentNotFound)
	}
	if err == nil && deleteData {
		if info, perr := metainfo.ParseInfo(rec.Info); perr == nil {
			dir := rec.SavePath
			if dir == "" {
				dir = c.cfg.DataDir
			}
			if st, _, oerr := c.node.OpenStorage(dir, ih, info); oerr == nil {
				if d, ok := st.(interface{ DeleteData() error }); ok {
					err = d.DeleteData()
				}
				_ = st.Close()
				if err != nil {
					return fmt.Errorf("remove %s: delete data: %w", ih, err)
				}
			}
		}
	}
	if err := c.state.Delete(ih); err != nil {
		return fmt.Errorf("remove %s: %w", ih, err)
	}
	return nil
}

// stopTimeout bounds the tracker `stopped` announces of a stop.
const stopTimeout = 5 * time.Second

// StopAndSerialize stops a torrent (requests, then peers, then the trackers'
// `stopped`), writes its resume record and forgets it. A torrent that is not
// running is not an error: it returns nil.
func (c *Client) StopAndSerialize(ih InfoHash) error {
	t, err := c.lookup(ih)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return t.t.StopAndSerialize(ctx)
}

// StopAllAndSerialize stops and serializes every torrent, in parallel.
func (c *Client) StopAllAndSerialize() error {
	hs := c.List()
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, ih := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.StopAndSerialize(ih); err != nil {
				errs[i] = fmt.Errorf("%s: %w", ih, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close stops every torrent, serializing each, then the node: the DHT,
// the listeners, the router's forwards.
func (c *Client) Close() error {
	err := c.StopAllAndSerialize()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if cerr := c.node.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// PortMapping reports what the router did with the listening ports; ok
// is false when no mapping was attempted (NoPortMapping, no listener, a
// loopback listener, the browser).
func (c *Client) PortMapping() (pm PortMapping, ok bool) {
	m, ok := c.node.PortMapping()
	return PortMapping(m), ok
}

// checkFiles refuses file indexes info does not have, or that name padding
// (unknown until a magnet's metadata arrives: nil info passes).
func checkFiles(info *metainfo.Info, files []int) error {
	if info == nil {
		return nil
	}
	for _, i := range files {
		if i < 0 || i >= len(info.Files) {
			return fmt.Errorf("%w: file %d (it has %d, numbered from 0)", ErrNoSuchFile, i, len(info.Files))
		}
		if info.Files[i].Padding {
			return fmt.Errorf("%w: file %d is padding", ErrNoSuchFile, i)
		}
	}
	return nil
}
