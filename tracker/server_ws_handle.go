package tracker

import (
	"time"

	"github.com/braid-bt/braid/tracker/wsproto"
)

// handle processes one frame from c; false closes the socket.
func (h *wsHub) handle(c *wsConn, b []byte) bool {
	m, err := wsproto.Decode(b)
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !c.msgs.take(1, now) {
		c.violation = "too many messages"
		return false
	}
	if err != nil {
		h.reply(c, &wsproto.Message{FailureReason: err.Error()})
		return true
	}
	var f *wsFailure
	switch m.Action {
	case wsproto.ActionAnnounce:
		f = h.announce(c, m, now)
	case wsproto.ActionScrape:
		f = h.scrape(c, m)
	default:
		f = failf(nil, "invalid action in WS request: %q", m.Action)
	}
	if f != nil {
		h.reply(c, &wsproto.Message{Action: f.action, InfoHash: f.infoHash, FailureReason: f.reason})
	}
	return true
}

// reply queues a frame to c (hub lock held).
func (h *wsHub) reply(c *wsConn, m *wsproto.Message) {
	if b, err := wsproto.Encode(m); err == nil {
		c.send(b)
	}
}

func (h *wsHub) announce(c *wsConn, m *wsproto.Message, now time.Time) *wsFailure {
	if m.InfoHash.IsZero() {
		return failf(m, "invalid info_hash")
	}
	if m.PeerID.IsZero() {
		return failf(m, "invalid peer_id")
	}
	if m.Answer != nil {
		return h.answer(c, m)
	}
	k := wsKey{m.InfoHash, m.PeerID}
	switch m.Event {
	case "", "empty", "started", "update", "completed", "paused":
	case "stopped":
		if _, mine := c.peers[k]; mine {
			h.removePeer(c, k)
		}
		h.replyCounts(c, m.InfoHash)
		return nil
	default:
		return failf(m, "invalid event")
	}
	seeder := m.Left != nil && *m.Left == 0
	sw := h.swarms[m.InfoHash]
	p := (*wsPeer)(nil)
	if sw != nil {
		p = sw.get(m.PeerID)
	}
	switch {
	case p != nil && p.conn != c:
		return failf(m, "peer_id is in use on another connection")
	case p != nil:
		if seeder && !p.seeder {
			p.seeder = true
			sw.seeders++
			sw.downloaded++
		}
	default:
		if len(c.peers) >= h.cfg.MaxPeersPerConn {
			return failf(m, "too many torrents on this connection")
		}
		if sw == nil {
			if len(h.swarms) >= h.maxSw {
				return failf(m, "%v", ErrTooManySwarms)
			}
			sw = newWSSwarm()
			h.swarms[m.InfoHash] = sw
		}
		if len(sw.list) >= h.maxPeers {
			return failf(m, "%v", ErrSwarmFull)
		}
		p = &wsPeer{id: m.PeerID, conn: c, seeder: seeder}
		sw.add(p)
		c.peers[k] = struct{}{}
		if seeder && m.Event == "completed" {
			sw.downloaded++
		}
	}
	h.replyCounts(c, m.InfoHash)
	return h.relayOffers(c, sw, m, now)
}

// replyCounts sends the announce reply: interval and swarm counts.
func (h *wsHub) replyCounts(c *wsConn, infoHash wsproto.ID) {
	interval := int(h.interval / time.Second)
	complete, incomplete := 0, 0
	if sw := h.swarms[infoHash]; sw != nil {
		complete, incomplete = sw.seeders, sw.leechers()
	}
	h.reply(c, &wsproto.Message{
		Action: wsproto.ActionAnnounce, InfoHash: infoHash,
		Interval: &interval, Complete: &complete, Incomplete: &incomplete,
	})
}

// relayOffers hands each of m's offers to a different random peer of the
// swarm, at most numwant of them, within c's offer budget.
func (h *wsHub) relayOffers(c *wsConn, sw *wsSwarm, m *wsproto.Message, now time.Time) *wsFailure {
	offers := make([]wsproto.Offer, 0, len(m.Offers))
	for _, o := range m.Offers {
		if !o.OfferID.IsZero() {
			offers = append(offers, o)
		}
	}
	n := min(len(offers), wsproto.MaxOffers)
	if m.NumWant != nil {
		n = min(n, max(*m.NumWant, 0))
	}
	targets := sw.pick(n, m.PeerID, h.rng)
	if len(targets) == 0 {
		return nil
	}
	if !c.offers.take(float64(len(targets)), now) {
		return failf(m, "too many offers: slow down")
	}
	for i, p := range targets {
		o := offers[i]
		b, err := wsproto.Encode(&wsproto.Message{
			Action: wsproto.ActionAnnounce, InfoHash: m.InfoHash, PeerID: m.PeerID,
			OfferID: &o.OfferID, Offer: &o.Offer,
		})
		if err != nil {
			continue
		}
		if p.conn.send(b) {
			h.addPending(p.conn, o.OfferID, pendingOffer{infoHash: m.InfoHash, from: m.PeerID})
		}
	}
	return nil
}

// addPending remembers that c was given an offer it may answer, forgetting
// the oldest beyond MaxPendingOffers.
func (h *wsHub) addPending(c *wsConn, id wsproto.ID, po pendingOffer) {
	for len(c.pending) >= h.cfg.MaxPendingOffers && len(c.pendingOrder) > 0 {
		delete(c.pending, c.pendingOrder[0])
		c.pendingOrder = c.pendingOrder[1:]
	}
	if len(c.pendingOrder) > 2*h.cfg.MaxPendingOffers {
		live := c.pendingOrder[:0:0]
		for _, o := range c.pendingOrder {
			if _, ok := c.pending[o]; ok {
				live = append(live, o)
			}
		}
		c.pendingOrder = live
	}
	c.pending[id] = po
	c.pendingOrder = append(c.pendingOrder, id)
}

// answer relays an answer back to the peer whose offer c was given. The
// answering peer id must be one c announced in that swarm.
func (h *wsHub) answer(c *wsConn, m *wsproto.Message) *wsFailure {
	if m.ToPeerID == nil || m.ToPeerID.IsZero() {
		return failf(m, "invalid `to_peer_id` (required with `answer`)")
	}
	if m.OfferID == nil || m.OfferID.IsZero() {
		return failf(m, "invalid `offer_id` (required with `answer`)")
	}
	if _, ok := c.peers[wsKey{m.InfoHash, m.PeerID}]; !ok {
		return failf(m, "answer from a peer_id that has not announced on this connection")
	}
	po, ok := c.pending[*m.OfferID]
	if !ok || po.infoHash != m.InfoHash || po.from != *m.ToPeerID {
		return failf(m, "no offer with that `offer_id`")
	}
	delete(c.pending, *m.OfferID)
	var to *wsPeer
	if sw := h.swarms[m.InfoHash]; sw != nil {
		to = sw.get(*m.ToPeerID)
	}
	if to == nil {
		return failf(m, "no peer with that `to_peer_id`")
	}
	h.reply(to.conn, &wsproto.Message{
		Action: wsproto.ActionAnnounce, InfoHash: m.InfoHash, PeerID: m.PeerID,
		OfferID: m.OfferID, Answer: m.Answer,
	})
	return nil
}

// scrape replies with the counters of the named swarms, or of up to
// MaxScrapeHashes swarms when none is named.
func (h *wsHub) scrape(c *wsConn, m *wsproto.Message) *wsFailure {
	hashes := m.InfoHashes
	if len(hashes) == 0 {
		for ih := range h.swarms {
			if len(hashes) == wsproto.MaxScrapeHashes {
				break
			}
			hashes = append(hashes, ih)
		}
	}
	files := make(map[wsproto.ID]wsproto.ScrapeFile, len(hashes))
	for _, ih := range hashes {
		var f wsproto.ScrapeFile
		if sw := h.swarms[ih]; sw != nil {
			f = wsproto.ScrapeFile{Complete: sw.seeders, Incomplete: sw.leechers(), Downloaded: sw.downloaded}
		}
		files[ih] = f
	}
	h.reply(c, &wsproto.Message{Action: wsproto.ActionScrape, Files: files})
	return nil
}
