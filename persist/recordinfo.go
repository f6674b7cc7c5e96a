package persist

import (
	"crypto/sha256"
	"sync"

	"github.com/braid-bt/braid/core/metainfo"
)

// parsedInfoCap bounds the info dictionaries remembered by parseRecordInfo.
const parsedInfoCap = 32

// parsedInfos remembers the info dictionaries that records recently
// carried, by the SHA-256 of their bytes, so a torrent's record saved again
// and again (periodically, at completion, at stop) does not parse its info
// dictionary each time: for a torrent of thousands of files that parse
// costs more than the rest of the save. Only dictionaries that parsed are
// kept; the parsed Info is only read.
var parsedInfos = struct {
	sync.Mutex
	m map[[sha256.Size]byte]*metainfo.Info
}{m: make(map[[sha256.Size]byte]*metainfo.Info)}

// parseRecordInfo is metainfo.ParseInfo(raw), remembered.
func parseRecordInfo(raw []byte) (*metainfo.Info, error) {
	key := sha256.Sum256(raw)
	parsedInfos.Lock()
	info := parsedInfos.m[key]
	parsedInfos.Unlock()
	if info != nil {
		return info, nil
	}
	info, err := metainfo.ParseInfo(raw)
	if err != nil {
		return nil, err
	}
	parsedInfos.Lock()
	defer parsedInfos.Unlock()
	if len(parsedInfos.m) >= parsedInfoCap {
		for k := range parsedInfos.m {
			delete(parsedInfos.m, k)
			break
		}
	}
	parsedInfos.m[key] = info
	return info, nil
}
