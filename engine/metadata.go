package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/braid-bt/braid/core/metadata"
	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/peers"
	"github.com/braid-bt/braid/core/session"
	"github.com/braid-bt/braid/core/wire"
)

// Extension message ids we advertise in our BEP 10 handshake. Peers send
// us these ids; we send them the ids from their handshakes.
const (
	extMetadata = 1 // ut_metadata, BEP 9
	extPEX      = 2 // ut_pex, BEP 11
)

// maxEarlyMessages bounds what a peer may tell us before we know the
// torrent's size (a bitfield, HAVEs); it is replayed to the session later.
const maxEarlyMessages = 20000

// metaPeer is what the metadata phase knows of a connected peer: its
// extension handshake, and what it has (one bitfield, merged, and HAVEs),
// bounded whatever it sends.
type metaPeer struct {
	ext      *wire.ExtHandshake
	bitfield []byte // the last bitfield, bits of later ones ORed in
	haveAll  bool
	haves    []uint32
}

// fetchingMetadata reports whether the torrent still lacks its info dict.
func (t *Torrent) fetchingMetadata() bool { return t.info == nil }

// metaConnected greets a peer while the info dictionary is unknown: only
// the extension handshake is sent, so the peer can offer ut_metadata.
func (t *Torrent) metaConnected(p *peerConn) {
	t.meta[p.id] = &metaPeer{}
	t.metaPeers.Store(int64(len(t.meta)))
	if p.hs.SupportsExtended() {
		p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: 0, Payload: t.extHandshake()})
	}
}

func (t *Torrent) metaClosed(p *peerConn) {
	delete(t.meta, p.id)
	t.metaPeers.Store(int64(len(t.meta)))
	t.fetcher.RemovePeer(int(p.id))
}

// metaMessage handles a message while fetching metadata.
func (t *Torrent) metaMessage(p *peerConn, m *wire.Message, now time.Time) {
	mp := t.meta[p.id]
	if mp == nil {
		return
	}
	switch m.Type {
	case wire.Extended:
		switch m.ExtID {
		case 0:
			eh, err := wire.ParseExtHandshake(m.Payload)
			if err != nil {
				t.dropPeer(p)
				t.metaClosed(p)
				return
			}
			mp.ext = &eh
			if eh.M["ut_metadata"] > 0 && eh.MetadataSize > 0 {
				if err := t.fetcher.AddPeer(int(p.id), eh.MetadataSize); err != nil {
					t.e.cfg.Logger.Debug("metadata peer", "addr", p.addr, "err", err)
				}
			}
		case extMetadata:
			t.onMetadataMsg(p, mp, m.Payload, now)
		}
	case wire.Bitfield:
		if len(mp.bitfield) == len(m.Bitfield) {
			for i, b := range m.Bitfield {
				mp.bitfield[i] |= b
			}
		} else {
			mp.bitfield = append(mp.bitfield[:0], m.Bitfield...)
		}
	case wire.HaveAll:
		mp.haveAll = true
	case wire.Have:
		if len(mp.haves) < maxEarlyMessages {
			mp.haves = append(mp.haves, m.Index)
		}
	}
	t.requestMetadata(now)
}

func (t *Torrent) onMetadataMsg(p *peerConn, mp *metaPeer, payload []byte, now time.Time) {
	mm, err := wire.ParseMetadataMsg(payload)
	if errors.Is(err, wire.ErrUnknownMessage) {
		return
	}
	if err != nil {
		t.dropPeer(p)
		t.metaClosed(p)
		return
	}
	switch mm.Type {
	case wire.MetadataRequest:
		t.sendMetadata(p.id, mp.ext, mm.Piece) // we have nothing yet: reject
	case wire.MetadataReject:
		t.fetcher.Rejected(int(p.id), mm.Piece)
	case wire.MetadataData:
		done, err := t.fetcher.Received(int(p.id), mm.Piece, mm.TotalSize, mm.Data, now)
		if err != nil {
			t.e.cfg.Logger.Debug("metadata piece", "addr", p.addr, "err", err)
			for id, q := range t.peers {
				if t.fetcher.Banned(int(id)) {
					t.book.Ban(peers.HostOf(q.addr))
					t.dropPeer(q)
					t.metaClosed(q)
				}
			}
		}
		if done {
			if err := t.gotMetadata(t.fetcher.Info(), now); err != nil {
				t.fail(err)
				t.halt = true
			}
		}
	}
}

// requestMetadata keeps every ut_metadata peer asking for missing pieces.
func (t *Torrent) requestMetadata(now time.Time) {
	if !t.fetchingMetadata() {
		return
	}
	for id, mp := range t.meta {
		if mp.ext == nil {
			continue
		}
		theirID := mp.ext.M["ut_metadata"]
		if theirID <= 0 || theirID > 255 {
			continue
		}
		p := t.peers[id]
		if p == nil {
			continue
		}
		for {
			piece, ok := t.fetcher.Next(int(id), now)
			if !ok {
				break
			}
			payload := wire.AppendMetadataMsg(nil, wire.MetadataMsg{Type: wire.MetadataRequest, Piece: piece})
			p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: uint8(theirID), Payload: payload})
		}
	}
}

// sendMetadata answers a ut_metadata request: the piece when we know the
// info dictionary, a reject otherwise.
func (t *Torrent) sendMetadata(id session.PeerID, ext *wire.ExtHandshake, piece int) {
	p := t.peers[id]
	if p == nil || ext == nil {
		return
	}
	theirID := ext.M["ut_metadata"]
	if theirID <= 0 || theirID > 255 {
		return
	}
	msg := wire.MetadataMsg{Type: wire.MetadataReject, Piece: piece}
	if t.info != nil {
		if data, total, err := metadata.Piece(t.spec.InfoBytes, piece); err == nil {
			msg = wire.MetadataMsg{Type: wire.MetadataData, Piece: piece, TotalSize: total, Data: data}
		}
	}
	p.queueMessage(&wire.Message{Type: wire.Extended, ExtID: uint8(theirID), Payload: wire.AppendMetadataMsg(nil, msg)})
}

// gotMetadata switches a magnet torrent to a normal one: the info dict is
// parsed, storage opened, existing data verified, the session created and
// every connected peer handed to it with what it told us so far.
func (t *Torrent) gotMetadata(infoBytes []byte, now time.Time) error {
	info, err := metainfo.ParseInfo(infoBytes)
	if err != nil {
		return fmt.Errorf("metadata from peers: %w", err)
	}
	st, hasData, err := t.spec.OpenStorage(info)
	if err != nil {
		return err
	}
	t.info, t.storage = info, st
	t.private.Store(info.Private)
	t.spec.Info, t.spec.InfoBytes, t.spec.CheckAll = info, infoBytes, hasData
	t.setLength(info)
	if !t.verifyOnDisk() {
		return errTorrentClosed
	}
	t.startSession(now)
	t.closeChecked()
	for id, mp := range t.meta {
		p := t.peers[id]
		if p == nil {
			continue
		}
		t.addToSession(p, now)
		for _, m := range mp.replay() {
			if _, ok := t.peers[id]; !ok {
				break
			}
			t.sess.Message(id, &m, now)
		}
	}
	t.meta = nil
	t.metaPeers.Store(0)
	return nil
}

// replay is what the peer told us, as messages for the session.
func (mp *metaPeer) replay() []wire.Message {
	var out []wire.Message
	switch {
	case mp.haveAll:
		out = append(out, wire.Message{Type: wire.HaveAll})
	case mp.bitfield != nil:
		out = append(out, wire.Message{Type: wire.Bitfield, Bitfield: mp.bitfield})
	}
	for _, h := range mp.haves {
		out = append(out, wire.Message{Type: wire.Have, Index: h})
	}
	return out
}
