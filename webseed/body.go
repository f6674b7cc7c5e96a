package webseed

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Servers that ignore Range (Python's http.server, many small embedded
// servers) answer every ranged GET with 200 and the whole file. The Client
// uses such a body instead of refusing it: a file of at most MaxWholeFile
// bytes is read once and kept (at most MaxKept bytes of such files per
// Client, the oldest dropped first), so its other pieces cost no request;
// a larger file's body stays open after the segment read from it, and the
// next segment of that file at or after its position is read from it.
// Next orders the engine's wanted pieces so that bodies are read forward,
// once per pass, not once per piece.

// body is an open 200 reply: the whole of one file, read up to pos.
type body struct {
	file   int
	pos    int64 // bytes of the file already read
	rc     io.ReadCloser
	url    string
	cancel context.CancelFunc // ends the request
}

// read skips to off (>= pos) and fills seg with the file's bytes there.
// At the end of the file it checks that the body ends too.
func (b *body) read(off int64, seg []byte, fileLen int64) error {
	if skip := off - b.pos; skip > 0 {
		if n, err := io.CopyN(io.Discard, b.rc, skip); err != nil {
			return bodyError(err, b.pos+n, fileLen)
		}
		b.pos = off
	}
	n, err := io.ReadFull(b.rc, seg)
	b.pos += int64(n)
	if err != nil {
		return bodyError(err, b.pos, fileLen)
	}
	if b.pos == fileLen {
		return expectEnd(b.rc)
	}
	return nil
}

func (b *body) close() {
	_ = b.rc.Close()
	b.cancel()
}

// fromBody serves a segment from a kept file or the open body when one of
// them covers it; done is false when a new request is needed.
func (c *Client) fromBody(ctx context.Context, f int, off int64, seg []byte) (done bool, err error) {
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	if whole, ok := c.kept[f]; ok {
		copy(seg, whole[off:])
		return true, nil
	}
	b := c.open
	if b == nil || b.file != f || b.pos > off {
		return false, nil
	}
	stop := c.watch(ctx, b.cancel)
	err = b.read(off, seg, c.info.Files[f].Length)
	why := stop()
	if err == nil && why == nil && b.pos < c.info.Files[f].Length {
		return true, nil
	}
	c.open = nil
	b.close()
	switch {
	case err == nil:
		return true, nil // the file's end, or the watch ended just after the read
	case ctx.Err() != nil:
		return true, fmt.Errorf("%s: %w", clip(b.url), ctx.Err())
	}
	// A body left open may have been closed by the server or stalled
	// between reads: ask again, with a fresh request and its own checks.
	return false, nil
}

// keepFile keeps the whole content of a small file f.
func (c *Client) keepFile(f int, whole []byte) {
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	if _, ok := c.kept[f]; ok || int64(len(whole)) > c.keptMax {
		return
	}
	for c.keptBytes+int64(len(whole)) > c.keptMax && len(c.keptOrder) > 0 {
		old := c.keptOrder[0]
		c.keptOrder = c.keptOrder[1:]
		c.keptBytes -= int64(len(c.kept[old]))
		delete(c.kept, old)
	}
	if c.kept == nil {
		c.kept = map[int][]byte{}
	}
	c.kept[f] = whole
	c.keptOrder = append(c.keptOrder, f)
	c.keptBytes += int64(len(whole))
}

// keepBody makes b the open body, closing the one before.
func (c *Client) keepBody(b *body) {
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	if c.open != nil {
		c.open.close()
	}
	c.open = b
}

// Next returns the index in pieces of the piece to fetch first. For a
// server that honours Range that is the first (the oldest request). For
// one that ignores Range it is the piece starting nearest at or after
// where the last read ended, or, when none does, the first piece in the
// torrent: bodies are then read forward, and each pass over a file
// serves every wanted piece in it.
func (c *Client) Next(pieces []int) int {
	if !c.ignoresRange.Load() || len(pieces) == 0 {
		return 0
	}
	cursor := c.lastEnd.Load()
	c.bodyMu.Lock()
	if b := c.open; b != nil {
		cursor = c.info.Files[b.file].Offset + b.pos
	}
	c.bodyMu.Unlock()
	ahead, first := -1, 0
	var aheadOff, firstOff int64
	for i, p := range pieces {
		off := c.info.PieceOffset(p)
		if off >= cursor && (ahead < 0 || off < aheadOff) {
			ahead, aheadOff = i, off
		}
		if i == 0 || off < firstOff {
			first, firstOff = i, off
		}
	}
	if ahead >= 0 {
		return ahead
	}
	return first
}

// Close releases the kept files and closes the open body. The Client
// stays usable.
func (c *Client) Close() {
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	if c.open != nil {
		c.open.close()
		c.open = nil
	}
	c.kept, c.keptOrder, c.keptBytes = nil, nil, 0
}

// watch cancels a request (cancel) when ctx ends or c.timeout passes,
// whichever comes first. stop ends the watch and says why the request was
// cancelled: ctx's error, context.DeadlineExceeded for the timeout, nil if
// it was not.
func (c *Client) watch(ctx context.Context, cancel context.CancelFunc) (stop func() error) {
	var expired atomic.Bool
	timer := time.AfterFunc(c.timeout, func() {
		expired.Store(true)
		cancel()
	})
	stopCtx := context.AfterFunc(ctx, cancel)
	return func() error {
		timerStopped := timer.Stop()
		if !stopCtx() {
			return ctx.Err()
		}
		if !timerStopped || expired.Load() {
			return fmt.Errorf("no complete reply within %s: %w", c.timeout, context.DeadlineExceeded)
		}
		return nil
	}
}
