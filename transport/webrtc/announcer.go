//lint:file-ignore SA1019 go.mod pins nhooyr.io/websocket (same API as its successor)

package webrtc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/braid-bt/braid/tracker/wsproto"
	"github.com/pion/webrtc/v4"
	"nhooyr.io/websocket"
)

// Announce timing and limits.
const (
	DefaultNumWant   = 5
	MaxNumWant       = wsproto.MaxOffers
	DefaultInterval  = 120 * time.Second
	MinInterval      = 15 * time.Second
	minBackoff       = time.Second
	maxBackoff       = 2 * time.Minute
	dialTimeout      = 15 * time.Second
	writeTimeout     = 10 * time.Second
	stoppedTimeout   = 2 * time.Second
	gatheringTimeout = 10 * time.Second
)

// ErrTrackerFailure wraps a tracker's "failure reason".
var ErrTrackerFailure = errors.New("webrtc: tracker failure")

// AnnouncerConfig describes one torrent on one WebSocket tracker.
type AnnouncerConfig struct {
	URL              string
	InfoHash, PeerID [20]byte
	RTC              Config
	// NumWant is the number of offers per announce (default 5, max 10).
	NumWant int
	// Stats reports uploaded, downloaded and left bytes for announces.
	Stats func() (uploaded, downloaded, left int64)
	// Want returning false stops new offers and answers (peer limit).
	Want func() bool
	// Connected reports a peer already connected by another transport
	// (TCP, say): its offers are not answered and its answers are
	// dropped before a channel opens. Closing an open duplicate instead
	// costs a DTLS handshake for nothing, and a peer still sending on
	// that channel as it closes can crash (node-webrtc does).
	Connected func(remotePeerID [20]byte) bool
	// OnConn receives each opened data channel; the caller owns it from
	// then on and does the BitTorrent handshake.
	OnConn func(c net.Conn, remotePeerID [20]byte)
	Logger *slog.Logger
}

// Announcer finds WebRTC peers for one torrent through one WebTorrent
// WebSocket tracker. It announces with pre-made offers, answers offers the
// tracker relays, and hands every opened channel to OnConn.
type Announcer struct {
	cfg       AnnouncerConfig
	rtc       Config
	log       *slog.Logger
	completed chan struct{}
	rearm     chan struct{}  // the tracker changed the interval
	wg        sync.WaitGroup // negotiations

	mu            sync.Mutex
	lastErr       error
	lastAnnounce  time.Time
	interval      time.Duration
	sendCompleted bool
	pending       map[wsproto.ID]*pendingOffer
	offering      int // pending offers plus answered ones still connecting
	answering     int
	peers         map[[20]byte]*peerState
}

// pendingOffer is an offer sent to the tracker and not answered yet.
type pendingOffer struct {
	pc    *webrtc.PeerConnection
	dc    *webrtc.DataChannel
	timer *time.Timer
}

// peerState tracks one remote peer id: attempts under way in either role
// and the connection handed over, if any.
type peerState struct {
	offering, answering bool
	conn                *conn
}

// NewAnnouncer applies defaults; Run does the work.
func NewAnnouncer(cfg AnnouncerConfig) *Announcer {
	if cfg.NumWant <= 0 {
		cfg.NumWant = DefaultNumWant
	}
	cfg.NumWant = min(cfg.NumWant, MaxNumWant)
	if cfg.Logger == nil {
		cfg.Logger = cfg.RTC.Logger
	}
	rtc := cfg.RTC.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = rtc.Logger
	}
	if cfg.Stats == nil {
		cfg.Stats = func() (int64, int64, int64) { return 0, 0, 0 }
	}
	if cfg.Want == nil {
		cfg.Want = func() bool { return true }
	}
	if cfg.OnConn == nil {
		cfg.OnConn = func(c net.Conn, _ [20]byte) { _ = c.Close() }
	}
	if cfg.Connected == nil {
		cfg.Connected = func([20]byte) bool { return false }
	}
	return &Announcer{
		cfg:       cfg,
		rtc:       rtc,
		log:       cfg.Logger.With("tracker", cfg.URL),
		completed: make(chan struct{}, 1),
		rearm:     make(chan struct{}, 1),
		interval:  DefaultInterval,
		pending:   map[wsproto.ID]*pendingOffer{},
		peers:     map[[20]byte]*peerState{},
	}
}

// Completed makes the next announce, sent soon, carry event "completed".
func (a *Announcer) Completed() {
	a.mu.Lock()
	a.sendCompleted = true
	a.mu.Unlock()
	signal(a.completed)
}

// Status reports the last error (nil after a good reply), the time of the
// last tracker reply and the number of open connections made here.
//
//lint:ignore ST1008 the order follows the engine's status line
func (a *Announcer) Status() (lastErr error, lastAnnounce time.Time, peers int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.peers {
		if p.conn != nil {
			peers++
		}
	}
	return a.lastErr, a.lastAnnounce, peers
}

// Run announces until ctx ends, reconnecting with back-off (1 s to 2 min)
// after errors. On the way out it tells the tracker "stopped" (best effort)
// and closes unanswered offers and unfinished negotiations; connections
// already handed to OnConn belong to the caller.
func (a *Announcer) Run(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		replied := false
		err := a.session(ctx, &replied)
		if ctx.Err() != nil {
			break
		}
		if replied {
			backoff = minBackoff
		}
		a.setErr(err)
		a.log.Debug("webrtc tracker session ended", "err", err, "retry", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, maxBackoff)
	}
	a.dropPending()
	a.wg.Wait()
}

func (a *Announcer) setErr(err error) {
	a.mu.Lock()
	a.lastErr = err
	a.mu.Unlock()
}

// session is one WebSocket connection to the tracker. It sets *replied if
// the tracker answered at all (to reset the back-off).
func (a *Announcer) session(ctx context.Context, replied *bool) error {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	ws, _, err := websocket.Dial(dctx, a.cfg.URL, nil)
	cancel()
	if err != nil {
		return fmt.Errorf("webrtc: dial tracker %s: %w", a.cfg.URL, err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(wsproto.MaxMessageSize)
	s := &session{a: a, ws: ws}
	defer func() { *replied = s.replied() }()

	// The reader gets its own context: nhooyr closes the socket when a
	// Read's context ends, and "stopped" must still go out after ctx ends.
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	readErr := make(chan error, 1)
	go func() { readErr <- s.readLoop(rctx, ctx) }()

	// Each new socket is a fresh start for the tracker.
	event := "started"
	var next *time.Timer
	defer func() {
		if next != nil {
			next.Stop()
		}
	}()
	for {
		if err := s.announce(ctx, event); err != nil {
			return err
		}
		event = ""
		if next == nil {
			next = time.NewTimer(a.currentInterval())
		} else {
			next.Reset(a.currentInterval()) // Go 1.23+ timers: no stale tick to drain
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				s.stopped()
				return ctx.Err()
			case err := <-readErr:
				return err
			case <-next.C:
				break wait
			case <-a.rearm:
				// The reply to the announce just sent set a new interval.
				next.Reset(a.currentInterval())
			case <-a.completed:
				a.mu.Lock()
				if a.sendCompleted {
					event = "completed"
					a.sendCompleted = false
				}
				a.mu.Unlock()
				break wait
			}
		}
	}
}

func (a *Announcer) currentInterval() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.interval
}

// session is the state of one tracker socket.
type session struct {
	a      *Announcer
	ws     *websocket.Conn
	mu     sync.Mutex
	gotAny bool
}

func (s *session) replied() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gotAny
}

func (s *session) write(m *wsproto.Message) error {
	b, err := wsproto.Encode(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("webrtc: write to tracker: %w", err)
	}
	return nil
}

// announce sends one announce; regular and "started" ones carry fresh
// offers while the torrent wants peers ("completed" and "stopped" carry
// none, as in WebTorrent).
func (s *session) announce(ctx context.Context, event string) error {
	a := s.a
	up, down, left := a.cfg.Stats()
	m := &wsproto.Message{
		Action:   wsproto.ActionAnnounce,
		InfoHash: a.cfg.InfoHash, PeerID: a.cfg.PeerID,
		Uploaded: &up, Downloaded: &down, Left: &left,
		Event: event,
	}
	var ids []wsproto.ID
	if event != "completed" && event != "stopped" && a.cfg.Want() {
		m.Offers, ids = a.makeOffers(ctx)
	}
	n := len(m.Offers)
	m.NumWant = &n
	if err := s.write(m); err != nil {
		for _, id := range ids {
			a.expire(id)
		}
		return err
	}
	return nil
}

// stopped tells the tracker we leave, bounded by stoppedTimeout.
func (s *session) stopped() {
	a := s.a
	up, down, left := a.cfg.Stats()
	zero := 0
	b, err := wsproto.Encode(&wsproto.Message{
		Action:   wsproto.ActionAnnounce,
		InfoHash: a.cfg.InfoHash, PeerID: a.cfg.PeerID,
		Uploaded: &up, Downloaded: &down, Left: &left,
		Event: "stopped", NumWant: &zero,
	})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stoppedTimeout)
	defer cancel()
	if s.ws.Write(ctx, websocket.MessageText, b) != nil {
		return
	}
	// A polite close, unless the tracker takes longer than the budget.
	closed := make(chan struct{})
	go func() {
		_ = s.ws.Close(websocket.StatusNormalClosure, "stopped")
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		_ = s.ws.CloseNow()
	}
}

// readLoop decodes frames and dispatches them without ever waiting on
// pion: negotiations run in their own goroutines. It ends with the socket.
// runCtx bounds the negotiations it starts.
func (s *session) readLoop(rctx, runCtx context.Context) error {
	for {
		typ, b, err := s.ws.Read(rctx)
		if err != nil {
			return fmt.Errorf("webrtc: read from tracker: %w", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		m, err := wsproto.Decode(b)
		if err != nil {
			s.a.log.Debug("webrtc tracker: bad frame", "err", err)
			continue
		}
		s.handle(runCtx, m)
	}
}

func (s *session) handle(ctx context.Context, m *wsproto.Message) {
	a := s.a
	if m.Action != "" && m.Action != wsproto.ActionAnnounce {
		return
	}
	if m.FailureReason != "" {
		a.setErr(fmt.Errorf("%w: %.200s", ErrTrackerFailure, m.FailureReason))
		return
	}
	if m.InfoHash != a.cfg.InfoHash {
		return // another torrent on a shared socket; not ours
	}
	if m.Interval != nil || m.MinInterval != nil || m.Complete != nil {
		s.mu.Lock()
		s.gotAny = true
		s.mu.Unlock()
		a.mu.Lock()
		a.lastErr = nil
		a.lastAnnounce = time.Now()
		iv := 0
		if m.Interval != nil {
			iv = *m.Interval
		} else if m.MinInterval != nil {
			iv = *m.MinInterval
		}
		changed := false
		if iv > 0 {
			d := max(time.Duration(iv)*time.Second, MinInterval)
			changed, a.interval = d != a.interval, d
		}
		a.mu.Unlock()
		if changed {
			signal(a.rearm)
		}
	}
	if m.PeerID == a.cfg.PeerID || m.OfferID == nil {
		return
	}
	switch {
	case m.Offer != nil:
		a.handleOffer(ctx, s, m.PeerID, *m.OfferID, m.Offer.SDP)
	case m.Answer != nil:
		a.handleAnswer(ctx, m.PeerID, *m.OfferID, m.Answer.SDP)
	}
}

// makeOffers creates up to NumWant offers in parallel, bounded by
// MaxPending, and registers them so answers can find them.
func (a *Announcer) makeOffers(ctx context.Context) ([]wsproto.Offer, []wsproto.ID) {
	a.mu.Lock()
	n := a.rtc.Limit.take(min(a.cfg.NumWant, a.rtc.MaxPending-a.offering))
	a.offering += n // reserve; unused slots are given back below
	a.mu.Unlock()
	if n <= 0 {
		return nil, nil
	}
	gctx, cancel := context.WithTimeout(ctx, gatheringTimeout)
	defer cancel()
	type made struct {
		pc  *webrtc.PeerConnection
		dc  *webrtc.DataChannel
		sdp string
		err error
	}
	results := make(chan made, n)
	for range n {
		go func() {
			pc, dc, sdp, err := a.rtc.offer(gctx)
			results <- made{pc, dc, sdp, err}
		}()
	}
	var offers []wsproto.Offer
	var ids []wsproto.ID
	for range n {
		r := <-results
		if r.err != nil {
			a.log.Debug("webrtc: offer failed", "err", r.err)
			a.mu.Lock()
			a.offerEnded()
			a.mu.Unlock()
			continue
		}
		var id wsproto.ID
		_, _ = rand.Read(id[:])
		p := &pendingOffer{pc: r.pc, dc: r.dc}
		a.mu.Lock()
		a.pending[id] = p
		p.timer = time.AfterFunc(a.rtc.OfferTimeout, func() { a.expire(id) })
		a.mu.Unlock()
		offers = append(offers, wsproto.Offer{OfferID: id, Offer: wsproto.SDP{Type: "offer", SDP: r.sdp}})
		ids = append(ids, id)
	}
	return offers, ids
}

// offerEnded frees one offer's slot. Call with a.mu held.
func (a *Announcer) offerEnded() {
	a.offering--
	a.rtc.Limit.give(1)
}

// expire drops an unanswered offer and closes its PeerConnection.
func (a *Announcer) expire(id wsproto.ID) {
	a.mu.Lock()
	p, ok := a.pending[id]
	if ok {
		delete(a.pending, id)
		a.offerEnded()
	}
	a.mu.Unlock()
	if ok {
		p.timer.Stop()
		_ = p.pc.Close()
	}
}

func (a *Announcer) dropPending() {
	a.mu.Lock()
	var ids []wsproto.ID
	for id := range a.pending {
		ids = append(ids, id)
	}
	a.mu.Unlock()
	for _, id := range ids {
		a.expire(id)
	}
}

// handleAnswer completes one of our offers.
func (a *Announcer) handleAnswer(ctx context.Context, remote [20]byte, id wsproto.ID, sdp string) {
	a.mu.Lock()
	p, ok := a.pending[id]
	if !ok {
		a.mu.Unlock()
		return // expired, or not ours
	}
	delete(a.pending, id)
	p.timer.Stop()
	st := a.peer(remote)
	if st.conn != nil || st.offering || a.cfg.Connected(remote) {
		a.offerEnded()
		a.forget(remote)
		a.mu.Unlock()
		_ = p.pc.Close()
		return
	}
	st.offering = true
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		c := newConn(p.pc, p.dc, a.cfg.PeerID, remote, a.log)
		c.offerer = true
		if err := acceptAnswer(p.pc, sdp); err != nil {
			a.log.Debug("webrtc: answer refused", "err", err)
			_ = c.Close()
			a.done(ctx, remote, nil, func(st *peerState) { st.offering = false; a.offerEnded() })
			return
		}
		c = a.waitOpen(ctx, c)
		a.done(ctx, remote, c, func(st *peerState) { st.offering = false; a.offerEnded() })
	}()
}

// handleOffer answers an offer the tracker relayed from another peer.
func (a *Announcer) handleOffer(ctx context.Context, s *session, remote [20]byte, id wsproto.ID, sdp string) {
	if !a.cfg.Want() || ctx.Err() != nil || a.cfg.Connected(remote) {
		return
	}
	a.mu.Lock()
	st := a.peer(remote)
	if st.conn != nil || st.answering || a.answering >= a.rtc.MaxPending || a.rtc.Limit.take(1) == 0 {
		a.forget(remote)
		a.mu.Unlock()
		return
	}
	st.answering = true
	a.answering++
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		finish := func(st *peerState) { st.answering = false; a.answering--; a.rtc.Limit.give(1) }
		cctx, cancel := context.WithTimeout(ctx, a.rtc.ConnectTimeout)
		defer cancel()
		got := make(chan *conn, 1)
		pc, answer, err := a.rtc.answer(cctx, sdp, func(pc *webrtc.PeerConnection, dc *webrtc.DataChannel) {
			c := newConn(pc, dc, a.cfg.PeerID, remote, a.log)
			select {
			case got <- c:
			default:
				_ = dc.Close() // one channel per peer connection
			}
		})
		if err != nil {
			a.log.Debug("webrtc: cannot answer", "err", err)
			a.done(ctx, remote, nil, finish)
			return
		}
		to := wsproto.ID(remote)
		err = s.write(&wsproto.Message{
			Action:   wsproto.ActionAnnounce,
			InfoHash: a.cfg.InfoHash, PeerID: a.cfg.PeerID,
			ToPeerID: &to, OfferID: &id,
			Answer: &wsproto.SDP{Type: "answer", SDP: answer},
		})
		if err != nil {
			_ = pc.Close()
			a.done(ctx, remote, nil, finish)
			return
		}
		var c *conn
		select {
		case c = <-got:
			c = a.waitOpen(cctx, c)
		case <-cctx.Done():
			_ = pc.Close()
		}
		a.done(ctx, remote, c, finish)
	}()
}

// waitOpen waits for the channel to open within ConnectTimeout; nil and
// the conn closed if it does not.
func (a *Announcer) waitOpen(ctx context.Context, c *conn) *conn {
	ctx, cancel := context.WithTimeout(ctx, a.rtc.ConnectTimeout)
	defer cancel()
	select {
	case <-c.opened:
		return c
	case <-c.failed:
	case <-ctx.Done():
	}
	_ = c.Close()
	return nil
}

// peer returns remote's state, creating it. Call with a.mu held.
func (a *Announcer) peer(remote [20]byte) *peerState {
	st := a.peers[remote]
	if st == nil {
		st = &peerState{}
		a.peers[remote] = st
	}
	return st
}

// forget drops remote's state when nothing refers to it. Call with a.mu held.
func (a *Announcer) forget(remote [20]byte) {
	if st := a.peers[remote]; st != nil && !st.offering && !st.answering && st.conn == nil {
		delete(a.peers, remote)
	}
}

// done ends one attempt: clear(st) undoes its bookkeeping; an open c is
// handed to OnConn unless another attempt already connected that peer or
// Run is ending.
func (a *Announcer) done(ctx context.Context, remote [20]byte, c *conn, clear func(*peerState)) {
	a.mu.Lock()
	st := a.peer(remote)
	clear(st)
	dup := c != nil && (st.conn != nil || ctx.Err() != nil)
	if c != nil && !dup {
		st.conn = c
	}
	a.forget(remote)
	a.mu.Unlock()
	if c == nil {
		return
	}
	if dup {
		_ = c.Close()
		return
	}
	c.setOnEnd(func() {
		a.mu.Lock()
		if st := a.peers[remote]; st != nil && st.conn == c {
			st.conn = nil
			a.forget(remote)
		}
		a.mu.Unlock()
	})
	a.log.Debug("webrtc: peer connected", "peer", c.remote.String())
	a.cfg.OnConn(c, remote)
}
