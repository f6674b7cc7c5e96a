package dht

import (
	"fmt"
	"net/netip"

	"github.com/anacrolix/torrent/bencode"
)

const (
	stateVersion = 1
	// maxStateSize bounds what we read from the state file; maxStateNodes
	// entries fit in it several times over.
	maxStateSize  = 256 << 10
	maxStateNodes = 512
)

// savedNode is one routing-table entry kept across restarts.
type savedNode struct {
	ID   [20]byte
	Addr netip.AddrPort
}

// state is what the state file holds: our node ID (so the network keeps
// knowing us by it) and the nodes to start from.
type state struct {
	ID    [20]byte // zero when unknown
	Nodes []savedNode
}

// stateFile is the bencoded form:
// d 7:version i1e 2:id 20:… 5:nodes l d 2:id 20:… 4:addr "ip:port" e … e e
type stateFile struct {
	Version int             `bencode:"version"`
	ID      string          `bencode:"id,omitempty"`
	Nodes   []stateFileNode `bencode:"nodes"`
}

type stateFileNode struct {
	ID   string `bencode:"id"`
	Addr string `bencode:"addr"`
}

func encodeState(s state) ([]byte, error) {
	f := stateFile{Version: stateVersion}
	if s.ID != ([20]byte{}) {
		f.ID = string(s.ID[:])
	}
	f.Nodes = []stateFileNode{}
	for _, n := range s.Nodes {
		if len(f.Nodes) == maxStateNodes {
			break
		}
		if !usableNodeAddr(n.Addr) {
			continue
		}
		f.Nodes = append(f.Nodes, stateFileNode{ID: string(n.ID[:]), Addr: n.Addr.String()})
	}
	b, err := bencode.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("dht: encode state: %w", err)
	}
	return b, nil
}

// decodeState reads a state file. A file that is not a version-1 state is
// an error wrapping ErrBadState; single bad entries are skipped, so one
// garbled node does not cost the whole table.
func decodeState(b []byte) (state, error) {
	var s state
	if len(b) > maxStateSize {
		return s, fmt.Errorf("dht: state file of %d bytes exceeds %d: %w", len(b), maxStateSize, ErrBadState)
	}
	var f stateFile
	if err := bencode.Unmarshal(b, &f); err != nil {
		return s, fmt.Errorf("dht: state file: %v: %w", err, ErrBadState)
	}
	if f.Version != stateVersion {
		return s, fmt.Errorf("dht: state file version %d: %w", f.Version, ErrBadState)
	}
	if len(f.ID) == 20 {
		copy(s.ID[:], f.ID)
	}
	seen := make(map[netip.AddrPort]bool)
	for _, fn := range f.Nodes {
		if len(s.Nodes) == maxStateNodes {
			break
		}
		if len(fn.ID) != 20 || len(fn.Addr) > 64 {
			continue
		}
		ap, err := netip.ParseAddrPort(fn.Addr)
		if err != nil {
			continue
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if !usableNodeAddr(ap) || seen[ap] {
			continue
		}
		seen[ap] = true
		var n savedNode
		copy(n.ID[:], fn.ID)
		if n.ID == ([20]byte{}) {
			continue
		}
		n.Addr = ap
		s.Nodes = append(s.Nodes, n)
	}
	return s, nil
}

// usableNodeAddr rejects addresses no node or peer can have: no port,
// unspecified, multicast, broadcast, zoned.
func usableNodeAddr(ap netip.AddrPort) bool {
	a := ap.Addr()
	if !a.IsValid() || ap.Port() == 0 || a.Zone() != "" {
		return false
	}
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	if a.Is4() && a.As4()[0] == 0 { // 0.0.0.0/8 is "this network", never a host
		return false
	}
	return true
}
