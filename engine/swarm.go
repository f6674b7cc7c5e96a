// Swarms of a torrent. A v1 torrent is in one swarm, named by its SHA-1
// info hash; a v2-only torrent (BEP 52) in one named by its SHA-256 info
// hash truncated to 20 bytes (its InfoHash). A hybrid is in both: it is
// registered under both hashes, announces both to trackers, the DHT and
// LSD, answers a handshake in the hash the peer used, and dials a peer
// found in the v2 swarm with the v2 hash. Both swarms' peers meet in one
// session (one picker, one choker).

package engine

import (
	"crypto/sha256"

	"github.com/braid-bt/braid/core/metainfo"
	"github.com/braid-bt/braid/core/wire"
	"github.com/braid-bt/braid/transport/tcp/mse"
)

// maxV2Addrs bounds the addresses a hybrid remembers as found in its v2
// swarm (the peer book holds at most a few thousand candidates).
const maxV2Addrs = 4096

// v2Bit is BEP 52's upgrade bit in the handshake's reserved bytes: the
// peer speaks BitTorrent v2.
const (
	v2Byte = 7
	v2Bit  = 0x10
)

// swarmAlias is the second hash a torrent is found by: a hybrid's
// truncated v2 info hash (a magnet with both btih and btmh is taken for
// a hybrid until its metadata says); ok is false for v1 and v2-only
// torrents.
func swarmAlias(spec *Spec) (alias [20]byte, ok bool) {
	if spec.InfoHashV2 == ([32]byte{}) || (spec.Info != nil && (!spec.Info.HasV1() || !spec.Info.HasV2())) {
		return alias, false
	}
	copy(alias[:], spec.InfoHashV2[:])
	return alias, alias != spec.InfoHash
}

// InfoHashV2 is the torrent's SHA-256 info hash (BEP 52), zero for a v1
// torrent.
func (t *Torrent) InfoHashV2() [32]byte {
	if v2 := t.learnedV2.Load(); v2 != nil {
		return *v2
	}
	return t.spec.InfoHashV2
}

// Protocol says which BitTorrent the torrent speaks: "v1", "v2" (v2-only)
// or "hybrid"; "" while a magnet's metadata is unknown.
func (t *Torrent) Protocol() string {
	return protocolOf(t.Info())
}

func protocolOf(info *metainfo.Info) string {
	switch {
	case info == nil:
		return ""
	case info.HasV1() && info.HasV2():
		return "hybrid"
	case info.HasV2():
		return "v2"
	}
	return "v1"
}

// v2OnlyMagnet tells whether the torrent was started from a magnet of a
// v2-only torrent (btmh alone): its InfoHash is its v2 hash truncated.
func (t *Torrent) v2OnlyMagnet() bool {
	v2 := t.spec.InfoHashV2
	return v2 != ([32]byte{}) && [20]byte(v2[:20]) == t.ih && t.infoAtStart == nil
}

// swarmHashes are the hashes the torrent announces: its own, and a
// hybrid's truncated v2 hash.
func (t *Torrent) swarmHashes() [][20]byte {
	if t.hasAlias.Load() {
		return [][20]byte{t.ih, t.alias}
	}
	return [][20]byte{t.ih}
}

// speaksV2 tells whether the torrent's handshakes carry the v2 bit.
func (t *Torrent) speaksV2() bool {
	return t.InfoHashV2() != ([32]byte{})
}

// handshakeFor is our handshake for torrent t in the swarm of hash ih.
func (e *Engine) handshakeFor(t *Torrent, ih [20]byte) wire.Handshake {
	hs := e.handshake(ih)
	if t != nil && t.speaksV2() {
		hs.Reserved[v2Byte] |= v2Bit
	}
	return hs
}

// sameTorrent tells whether a and b name one running torrent: a hybrid's
// two hashes. A v2 peer answers our v1 handshake for a hybrid, upgrade
// bit set, with the v2 hash (BEP 52).
func (e *Engine) sameTorrent(a, b [20]byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.torrents[a]
	return t != nil && e.torrents[b] == t
}

// markV2 remembers addresses found in a hybrid's v2 swarm (loop only).
func (t *Torrent) markV2(addrs []string) {
	if !t.hasAlias.Load() {
		return
	}
	if t.v2Addrs == nil {
		t.v2Addrs = make(map[string]struct{})
	}
	for _, a := range addrs {
		if len(t.v2Addrs) >= maxV2Addrs {
			return
		}
		t.v2Addrs[a] = struct{}{}
	}
}

// dialHash is the hash to dial addr with: a hybrid's v2 hash for a peer
// found in its v2 swarm, its own otherwise (loop only).
func (t *Torrent) dialHash(addr string) [20]byte {
	if _, ok := t.v2Addrs[addr]; ok && t.hasAlias.Load() {
		return t.alias
	}
	return t.ih
}

// joinV2Swarm makes a torrent started from a btih-only magnet whose
// metadata shows a hybrid join its v2 swarm too (loop only): it is found
// by its truncated v2 hash from now on (handshakes, MSE), its handshakes
// carry the v2 bit, and the v2 swarm is announced to its trackers, on
// the LAN and (from its next round) on the DHT. Nothing happens when
// another torrent already holds that hash.
func (t *Torrent) joinV2Swarm(info *metainfo.Info, infoBytes []byte) {
	if t.hasAlias.Load() || t.spec.InfoHashV2 != ([32]byte{}) || !info.HasV1() || !info.HasV2() {
		return
	}
	v2 := sha256.Sum256(infoBytes)
	alias := [20]byte(v2[:20])
	e := t.e
	e.mu.Lock()
	if other, taken := e.torrents[alias]; taken && other != t {
		e.mu.Unlock()
		e.cfg.Logger.Info("hybrid's v2 swarm held by another torrent", "v2", alias)
		return
	}
	t.alias, t.req2Alias = alias, mse.Req2(alias)
	t.learnedV2.Store(&v2)
	t.hasAlias.Store(true)
	e.torrents[alias] = t
	e.mu.Unlock()
	t.announceAlias()
	if l := e.cfg.LSD; l != nil && !t.private.Load() && e.cfg.Port != 0 {
		t.joinLSD(l, alias, true)
	}
}
