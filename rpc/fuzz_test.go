package rpc

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSettings: any settings file is either refused or gives values of
// the kinds session-get reports (never a panic).
func FuzzSettings(f *testing.F) {
	f.Add([]byte(`{"download-queue-size": 3, "seedRatioLimit": 1.5, "start-added-torrents": false, "x": [1]}`))
	f.Add([]byte(`{"incomplete-dir": "/tmp/x", "incomplete-dir-enabled": 1}`))
	f.Add([]byte(`{"speed-limit-down": 1e300}`))
	f.Add([]byte(`{"idle-seeding-limit": -0.5}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		vals, err := parseSettings(m)
		if err != nil {
			return
		}
		for k, v := range vals {
			switch sessionSettings[k].kind {
			case kindBool:
				_, ok := v.(bool)
				check(t, ok, k)
			case kindInt:
				n, ok := v.(int64)
				check(t, ok && n >= 0, k)
			case kindFloat:
				x, ok := v.(float64)
				check(t, ok && x >= 0, k)
			case kindAbsPath:
				p, ok := v.(string)
				check(t, ok && (p == "" || filepath.IsAbs(p)), k)
			}
		}
	})
}

func check(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		t.Fatalf("bad value accepted for %s", what)
	}
}

// FuzzRenameArgs: a path and name torrent-rename-path accepts never
// lead outside the torrent's directory.
func FuzzRenameArgs(f *testing.F) {
	f.Add("name/dir/file", "new")
	f.Add("../x", "y")
	f.Add("a", "..")
	f.Add("a/./b", "c\x00")
	f.Add("a", `b\c`)
	f.Fuzz(func(t *testing.T, p, name string) {
		rel, err := safeRel(p)
		if err != nil || checkNewName(name) != nil {
			return
		}
		dir := "/data"
		comps := strings.Split(p, "/")
		comps[len(comps)-1] = name
		for _, got := range []string{filepath.Join(dir, rel), filepath.Join(dir, filepath.Join(comps...))} {
			r, err := filepath.Rel(dir, got)
			if err != nil || !filepath.IsLocal(r) {
				t.Fatalf("%q renamed %q leaves %s: %s", p, name, dir, got)
			}
		}
	})
}
