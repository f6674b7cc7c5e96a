//go:build !js

package persist

import (
	"container/list"
	"os"
)

// handle is an open file shared by concurrent readers and writers. The cache
// mutex guards refs and dropped; the I/O itself runs outside it, and a
// handle evicted while in use is closed by its last user.
type handle struct {
	f        *os.File
	idx      int
	writable bool
	extended bool // grown to its length; done on the first write
	refs     int
	dropped  bool
	elem     *list.Element
}

// handleCache is a least-recently-used set of open handles. Its methods run
// with FileStorage.mu held.
type handleCache struct {
	max     int
	byIndex map[int]*handle
	order   *list.List // front = most recently used
}

func newHandleCache(max int) *handleCache {
	return &handleCache{max: max, byIndex: make(map[int]*handle), order: list.New()}
}

func (c *handleCache) get(idx int) *handle {
	h := c.byIndex[idx]
	if h != nil {
		c.order.MoveToFront(h.elem)
	}
	return h
}

// add caches h and returns the handles pushed out to stay within max:
// the least recently used of those no one is using. Handles in use (read,
// written or pinned now) stay, so the cache may hold more than max while
// they do.
func (c *handleCache) add(h *handle) []*handle {
	h.elem = c.order.PushFront(h)
	c.byIndex[h.idx] = h
	var out []*handle
	for e := c.order.Back(); e != nil && len(c.byIndex) > c.max; {
		old := e.Value.(*handle)
		e = e.Prev()
		if old.refs > 0 {
			continue
		}
		c.remove(old)
		out = append(out, old)
	}
	return out
}

func (c *handleCache) remove(h *handle) {
	if c.byIndex[h.idx] == h {
		delete(c.byIndex, h.idx)
		c.order.Remove(h.elem)
	}
}

// all returns every cached handle, most recently used first.
func (c *handleCache) all() []*handle {
	out := make([]*handle, 0, len(c.byIndex))
	for e := c.order.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*handle))
	}
	return out
}
