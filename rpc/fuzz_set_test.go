package rpc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/braid-bt/braid"
)

// FuzzTorrentSetArgs: any torrent-set arguments are refused or give a
// file choice, limits and tracker tiers within their bounds (never a
// panic): file numbers in range and not every file unwanted, priorities
// among Transmission's three, limits non-negative, URLs an announcer
// takes, no empty tier.
func FuzzTorrentSetArgs(f *testing.F) {
	f.Add([]byte(`{"priority-high":[0],"priority-low":[],"files-unwanted":[1]}`), 3)
	f.Add([]byte(`{"downloadLimit":50,"downloadLimited":1,"peer-limit":9,"bandwidthPriority":-1}`), 2)
	f.Add([]byte(`{"trackerList":"http://a/announce\n\nudp://b:1\n","trackerRemove":[0],"trackerReplace":[0,"wss://c/"]}`), 1)
	f.Add([]byte(`{"trackerReplace":[[1,"http://x/"]],"trackerAdd":["http://y/"]}`), 1)
	f.Add([]byte(`{"uploadLimit":1e300,"files-wanted":[-1]}`), 0)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		var a args
		if json.Unmarshal(data, &a) != nil || n < 0 || n > 1000 {
			return
		}
		if fa, err := parseFileArgs(a); err == nil {
			if un, pr, err := fa.apply("t", n, nil, nil); err == nil {
				check(t, len(un) < n || n == 0 && len(un) == 0, "every file unwanted")
				for _, u := range un {
					check(t, u >= 0 && u < n, "unwanted file")
				}
				for i, p := range pr {
					check(t, i >= 0 && i < n && (p == prioLow || p == prioHigh), "priority")
				}
			}
		}
		if tl, err := parseTorrentLimits(a); err == nil {
			var e entry
			tl.apply(&e)
			up, down, _ := e.rates()
			check(t, up >= 0 && down >= 0 && e.PeerLimit >= 0 && e.BandwidthPriority >= -1 && e.BandwidthPriority <= 1, "limits")
		}
		if ta, err := parseTrackerArgs(a); err == nil {
			tiers, err := ta.apply("t", [][]string{{"http://old/announce"}, {"udp://old2:1"}})
			if err == nil {
				check(t, braid.CheckTrackers(tiers) == nil, "tracker URL")
				for _, tier := range tiers {
					check(t, len(tier) > 0, "empty tier")
					for _, u := range tier {
						check(t, !strings.ContainsAny(u, "\n\r"), "URL with a line break")
					}
				}
			}
		}
	})
}
