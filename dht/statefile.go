//go:build !js

package dht

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/braid-bt/braid/internal/atomicfile"
)

// loadState reads the state file. A missing file is a first start; a
// corrupt one is reported and ignored, never fatal.
func (n *Node) loadState() state {
	if n.cfg.StateFile == "" {
		return state{}
	}
	b, err := readLimited(n.cfg.StateFile, maxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}
	}
	if err == nil {
		var s state
		if s, err = decodeState(b); err == nil {
			return s
		}
	}
	n.logger.Warn("dht: ignoring state file", "file", n.cfg.StateFile, "err", err)
	return state{}
}

// saveState writes our ID and the routing table's nodes not known to be bad.
func (n *Node) saveState() error {
	s := state{ID: n.srv.ID()}
	for _, ni := range n.srv.Nodes() {
		ap, ok := addrPortFromIP(ni.Addr.IP, ni.Addr.Port)
		if !ok || !usableNodeAddr(ap) {
			continue
		}
		s.Nodes = append(s.Nodes, savedNode{ID: ni.ID, Addr: ap})
	}
	if len(s.Nodes) == 0 {
		// An empty table (say, a run without network) would overwrite a
		// useful file with nothing; keep what we have.
		return nil
	}
	b, err := encodeState(s)
	if err != nil {
		return err
	}
	n.saveMu.Lock()
	defer n.saveMu.Unlock()
	if err := atomicfile.Write(n.cfg.StateFile, b, 0o600); err != nil {
		return fmt.Errorf("dht: save state: %w", err)
	}
	return nil
}

// keeper saves the state file now and then, and retries the bootstrap
// nodes while the table has no good node (the library only bootstraps
// every 30 minutes once a bootstrap has started).
func (n *Node) keeper() {
	defer n.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastSave := time.Now()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
		}
		if n.srv.Stats().GoodNodes == 0 && len(n.bootstrapList()) > 0 {
			if err := n.Bootstrap(n.ctx); err != nil {
				n.logger.Debug("dht: bootstrap retry", "err", err)
			}
		}
		if n.cfg.StateFile != "" && time.Since(lastSave) >= saveInterval {
			lastSave = time.Now()
			if err := n.saveState(); err != nil {
				n.logger.Warn("dht: save state", "err", err)
			}
		}
	}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("dht: %s larger than %d bytes: %w", path, limit, ErrBadState)
	}
	return b, nil
}
