// Package webfile gives the files of Braid's web page a strong validator:
// an ETag from a hash of their content. The page's files are served with
// `Cache-Control: no-cache`, so every load asks again; with an ETag the
// answer is a 304 while the file is unchanged (Chromium then keeps the
// compiled code it cached for braid.wasm), and a rebuilt file with new
// content is never served stale, even when its modification time lands in
// the same second as the old one's.
package webfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"sync"
	"time"
)

// maxEntries bounds the cache of computed tags (the page has a dozen files).
const maxEntries = 256

// ETags computes and remembers the ETag of files by name, size and
// modification time, so a file is hashed once per version rather than on
// every request. The zero value is ready to use; it is safe for concurrent
// use.
type ETags struct {
	mu sync.Mutex
	m  map[string]entry
}

type entry struct {
	size  int64
	mtime time.Time
	tag   string
}

// Of returns the strong ETag (quoted) of the file f, whose FileInfo is fi,
// known as name. f is read from its start when the tag is not cached (the
// read happens without holding the cache's lock) and is left positioned at
// its start.
func (e *ETags) Of(name string, f io.ReadSeeker, fi fs.FileInfo) (string, error) {
	e.mu.Lock()
	c, ok := e.m[name]
	e.mu.Unlock()
	if ok && c.size == fi.Size() && c.mtime.Equal(fi.ModTime()) {
		return c.tag, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("etag %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("etag %s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("etag %s: %w", name, err)
	}
	if n != fi.Size() {
		// Changed while we read it: answer, but do not remember.
		return tagOf(h.Sum(nil)), nil
	}
	tag := tagOf(h.Sum(nil))
	e.mu.Lock()
	if e.m == nil || len(e.m) >= maxEntries {
		e.m = make(map[string]entry)
	}
	e.m[name] = entry{size: fi.Size(), mtime: fi.ModTime(), tag: tag}
	e.mu.Unlock()
	return tag, nil
}

// tagOf is the quoted ETag of a content hash: 128 bits of it are plenty.
func tagOf(sum []byte) string {
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// Serve answers r with the open file f (fi its FileInfo) under name: its
// ETag, `Cache-Control: no-cache` (use it, but ask first), and
// http.ServeContent's conditional (304 to a matching If-None-Match) and
// range handling. The caller sets Content-Type when the name's extension
// does not say it. A file that cannot be hashed is served without an ETag.
func (e *ETags) Serve(w http.ResponseWriter, r *http.Request, name string, f io.ReadSeeker, fi fs.FileInfo) {
	if tag, err := e.Of(name, f, fi); err == nil {
		w.Header().Set("ETag", tag)
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, fi.ModTime().Truncate(time.Second), f)
}

// ServeFrom answers r with the regular file name at the top of dir, as
// Serve does. The file is opened through an os.Root, so no name or
// symbolic link reaches outside dir; a missing, unreadable or irregular
// file is a 404.
func (e *ETags) ServeFrom(w http.ResponseWriter, r *http.Request, dir, name string) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		http.Error(w, "500: web root unavailable", http.StatusInternalServerError)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	e.Serve(w, r, name, f, fi)
}
