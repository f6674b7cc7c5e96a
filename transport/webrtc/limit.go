package webrtc

import "sync"

// PendingLimit caps PeerConnections being negotiated (unanswered offers,
// answers not yet open) across many Announcers, e.g. a whole client:
// browsers refuse to create many RTCPeerConnections, and each native one
// holds sockets and goroutines. Share one through Config.Limit.
type PendingLimit struct {
	mu        sync.Mutex
	used, max int
}

// NewPendingLimit allows max negotiations at once.
func NewPendingLimit(max int) *PendingLimit { return &PendingLimit{max: max} }

// take grants up to n slots without waiting; a nil limit grants all.
func (l *PendingLimit) take(n int) int {
	if l == nil || n <= 0 {
		return max(n, 0)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n = min(n, l.max-l.used)
	if n < 0 {
		n = 0
	}
	l.used += n
	return n
}

// give returns n slots.
func (l *PendingLimit) give(n int) {
	if l == nil || n <= 0 {
		return
	}
	l.mu.Lock()
	l.used = max(l.used-n, 0)
	l.mu.Unlock()
}

// InUse reports the slots taken now.
func (l *PendingLimit) InUse() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used
}
