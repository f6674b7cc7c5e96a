package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/braid-bt/braid/internal/atomicfile"
)

// maxSettingsFile bounds the settings file read at start.
const maxSettingsFile = 1 << 20

// settingKind is how a session setting's value is checked.
type settingKind int

const (
	kindBool    settingKind = iota
	kindInt                 // a non-negative integer
	kindFloat               // a non-negative number
	kindAbsPath             // an absolute path ("" allowed where noted by the default)
)

type settingSpec struct {
	kind settingKind
	def  any
}

// sessionSettings are the session-set keys Braid applies, with
// Transmission's names, units (speeds in kB/s of 1000 bytes, idle limits
// in minutes) and defaults. download-dir is kept by the store.
var sessionSettings = map[string]settingSpec{
	"start-added-torrents":       {kindBool, true},
	"speed-limit-down":           {kindInt, int64(100)},
	"speed-limit-down-enabled":   {kindBool, false},
	"speed-limit-up":             {kindInt, int64(100)},
	"speed-limit-up-enabled":     {kindBool, false},
	"alt-speed-down":             {kindInt, int64(50)},
	"alt-speed-up":               {kindInt, int64(50)},
	"alt-speed-enabled":          {kindBool, false},
	"download-queue-enabled":     {kindBool, true},
	"download-queue-size":        {kindInt, int64(5)},
	"seed-queue-enabled":         {kindBool, false},
	"seed-queue-size":            {kindInt, int64(10)},
	"queue-stalled-enabled":      {kindBool, true},
	"queue-stalled-minutes":      {kindInt, int64(30)},
	"seedRatioLimit":             {kindFloat, 2.0},
	"seedRatioLimited":           {kindBool, false},
	"idle-seeding-limit":         {kindInt, int64(30)},
	"idle-seeding-limit-enabled": {kindBool, false},
	"incomplete-dir":             {kindAbsPath, ""},
	"incomplete-dir-enabled":     {kindBool, false},
}

// parseSetting checks one value of key k; a bad one is an argErr.
func parseSetting(k string, raw json.RawMessage) (any, error) {
	spec := sessionSettings[k]
	bad := func(want string) error { return argErr(fmt.Sprintf("invalid argument %q: want %s", k, want)) }
	switch spec.kind {
	case kindBool:
		b, err := args{k: raw}.boolean(k)
		return b, err
	case kindInt:
		var f float64
		if json.Unmarshal(raw, &f) != nil || f < 0 || f != math.Trunc(f) || f > 1<<40 {
			return nil, bad("a non-negative integer")
		}
		return int64(f), nil
	case kindFloat:
		var f float64
		if json.Unmarshal(raw, &f) != nil || f < 0 || math.IsInf(f, 0) || f > 1e9 {
			return nil, bad("a non-negative number")
		}
		return f, nil
	case kindAbsPath:
		var p string
		if json.Unmarshal(raw, &p) != nil {
			return nil, bad("a string")
		}
		if p == "" {
			return "", nil
		}
		if !filepath.IsAbs(p) {
			return nil, argErr(fmt.Sprintf("invalid argument %q: the path is not absolute", k))
		}
		return filepath.Clean(p), nil
	}
	return nil, bad("a known value")
}

// session holds the settings session-set changes; mu guards the map only.
type session struct {
	mu   sync.Mutex
	vals map[string]any
}

func newSession() *session {
	s := &session{vals: map[string]any{}}
	for k, spec := range sessionSettings {
		s.vals[k] = spec.def
	}
	return s
}

func (s *session) boolean(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := s.vals[k].(bool)
	return b
}

func (s *session) int(k string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := s.vals[k].(int64)
	return n
}

func (s *session) float(k string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, _ := s.vals[k].(float64)
	return f
}

func (s *session) str(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.vals[k].(string)
	return v
}

// snapshot copies every value (for session-get).
func (s *session) snapshot() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]any, len(s.vals))
	for k, v := range s.vals {
		out[k] = v
	}
	return out
}

func (s *session) set(vals map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range vals {
		s.vals[k] = v
	}
}

// readSettingsFile reads the settings file's keys as raw JSON (a missing
// file: none). It is bounded; a file that is not a JSON object is an error.
func readSettingsFile(file string) (map[string]json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if file == "" {
		return m, nil
	}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSettingsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > maxSettingsFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxSettingsFile)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", file, err)
	}
	return m, nil
}

// parseSettings checks the session keys of a settings file's keys and
// returns their values.
func parseSettings(m map[string]json.RawMessage) (map[string]any, error) {
	vals := map[string]any{}
	for k, raw := range m {
		if _, ok := sessionSettings[k]; !ok {
			continue
		}
		v, err := parseSetting(k, raw)
		if err != nil {
			return nil, err
		}
		vals[k] = v
	}
	return vals, nil
}

// loadSettings applies the settings file's known keys; a bad value is an
// error naming the key. Unknown keys are left in the file untouched.
func (s *session) load(file string) error {
	m, err := readSettingsFile(file)
	if err != nil {
		return err
	}
	vals, err := parseSettings(m)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	s.set(vals)
	return nil
}

// rewriteSettings sets keys in the settings JSON file, keeping its other
// keys as they are, atomically.
func rewriteSettings(file string, vals map[string]any) error {
	m, err := readSettingsFile(file)
	if err != nil {
		return err
	}
	for k, v := range vals {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		m[k] = raw
	}
	out, err := json.MarshalIndent(m, "", "    ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(file, append(out, '\n'), 0o600)
}

// sessionChanged applies changed settings: the speed caps, the queue.
func (s *Server) sessionChanged() {
	s.applyRates()
	s.schedule()
}

// rates are the caps in force, in bytes per second (0: none): the
// alternative ones when alt-speed-enabled, else the enabled speed limits.
// Transmission's speeds are in kB/s of 1000 bytes.
func (s *Server) rates() (up, down int64) {
	if s.sess.boolean("alt-speed-enabled") {
		return s.sess.int("alt-speed-up") * 1000, s.sess.int("alt-speed-down") * 1000
	}
	if s.sess.boolean("speed-limit-up-enabled") {
		up = s.sess.int("speed-limit-up") * 1000
	}
	if s.sess.boolean("speed-limit-down-enabled") {
		down = s.sess.int("speed-limit-down") * 1000
	}
	return up, down
}

func (s *Server) applyRates() { s.c.SetRates(s.rates()) }

// CheckSettings reports what is wrong with a settings file (nil for a
// missing one), as New would, so a daemon can refuse it before it starts
// anything.
func CheckSettings(file string) error { return newSession().load(file) }
