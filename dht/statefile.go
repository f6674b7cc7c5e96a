//go:build !js

package dht

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
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
	if err := writeFileAtomic(n.cfg.StateFile, b); err != nil {
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

// writeFileAtomic replaces path so that a crash leaves the old or the new
// content, never a torn file: temp file in the same directory, fsync,
// rename, fsync the directory.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	ok = true
	if runtime.GOOS == "windows" { // directories cannot be fsynced there
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
