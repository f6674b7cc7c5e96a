package engine

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/wire"
)

// DHT is the part of a BEP 5 node the engine uses (dht.Node on native builds).
type DHT interface {
	Announce(ctx context.Context, infoHash [20]byte, port int, impliedPort bool) (<-chan []netip.AddrPort, error)
	AddNode(addr string) error
	Addr() netip.AddrPort
}

// dhtAnnounceEvery is how often a torrent re-announces itself on the DHT;
// announcements expire from other nodes after about 30 minutes.
const dhtAnnounceEvery = 15 * time.Minute

// runDHT announces the torrent on the DHT and feeds the peers found to the
// loop, until the torrent stops. Private torrents never use the DHT (BEP 27).
func (t *Torrent) runDHT() {
	d := t.e.cfg.DHT
	if d == nil || t.private.Load() {
		return
	}
	go func() {
		ctx, cancel := t.quitContext()
		defer cancel()
		for {
			// A hybrid announces its v1 swarm, then its v2 one.
			for i, ih := range t.swarmHashes() {
				if !t.announceDHT(ctx, d, ih, i > 0) {
					return
				}
			}
			if t.private.Load() { // a magnet turned out private (BEP 27)
				return
			}
			// A torrent still short of peers asks again sooner.
			wait := dhtAnnounceEvery
			if t.metaPeers.Load() == 0 && t.State() == StateMetadata {
				wait = 30 * time.Second
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}()
}

// announceDHT runs one DHT announce of swarm ih and feeds the peers it
// finds to the loop; false once the torrent is gone.
func (t *Torrent) announceDHT(ctx context.Context, d DHT, ih [20]byte, v2 bool) bool {
	actx, acancel := context.WithTimeout(ctx, 2*time.Minute)
	defer acancel()
	ch, err := d.Announce(actx, ih, int(t.e.cfg.Port), false)
	if err != nil {
		t.e.cfg.Logger.Debug("dht announce", "err", err)
		return ctx.Err() == nil
	}
	for found := range ch {
		addrs := make([]string, 0, len(found))
		for _, p := range found {
			addrs = append(addrs, p.String())
		}
		if !t.post(evPeers{addrs: addrs, source: peers.FromDHT, v2: v2}) {
			return false
		}
	}
	return true
}

// onPortMessage adds a peer's DHT node (BEP 5 PORT message).
func (t *Torrent) onPortMessage(p *peerConn, port uint16) {
	d := t.e.cfg.DHT
	if d == nil || port == 0 {
		return
	}
	_ = d.AddNode(net.JoinHostPort(peers.HostOf(p.addr), strconv.Itoa(int(port))))
}

// sendPort tells a DHT-capable peer where our DHT node listens.
func (t *Torrent) sendPort(p *peerConn) {
	d := t.e.cfg.DHT
	if d == nil || !p.hs.SupportsDHT() || t.private.Load() {
		return
	}
	if ap := d.Addr(); ap.Port() != 0 {
		p.queueMessage(&wire.Message{Type: wire.Port, Port: ap.Port()})
	}
}
