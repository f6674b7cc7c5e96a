//go:build !js

package persist

// maxPinnedFactor bounds pinned handles: at most this many times the
// cache's size are kept open by pins; past it Pin holds nothing more, and
// a later read opens the file again as it would without pins.
const maxPinnedFactor = 4

// Pin keeps the handles of the files holding n bytes at off open until the
// returned release is called, so a read of those bytes soon after (the
// hasher reading back a piece the disk writer just wrote) reuses them
// however many other files are written meanwhile. It opens no file: only
// handles already cached are pinned.
func (s *FileStorage) Pin(off, n int64) (release func()) {
	if off < 0 || n <= 0 || off >= s.total {
		return func() {}
	}
	end := min(off+n, s.total)
	var pinned []*handle
	s.mu.Lock()
	for i := s.fileAt(off); i < len(s.files) && s.files[i].offset < end; i++ {
		if s.pinned >= maxPinnedFactor*s.cache.max {
			break
		}
		h := s.cache.byIndex[i]
		if h == nil {
			continue
		}
		h.refs++
		s.pinned++
		pinned = append(pinned, h)
	}
	s.mu.Unlock()
	return func() {
		for _, h := range pinned {
			s.mu.Lock()
			s.pinned--
			s.mu.Unlock()
			s.release(h)
		}
		pinned = nil
	}
}
