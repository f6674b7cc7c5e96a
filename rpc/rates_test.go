package rpc

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func rates(f *fixture) [2]int64 {
	up, down := f.c.Rates()
	return [2]int64{up, down}
}

// TestSpeedLimits: session-set's speed limits and alternative speeds set
// the client's caps at once (kB/s of 1000 bytes); the settings file keeps
// them for the next start.
func TestSpeedLimits(t *testing.T) {
	f := newFixture(t, nil)
	require.Equal(t, [2]int64{0, 0}, rates(f))
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"speed-limit-down": 300, "speed-limit-down-enabled": true}, nil))
	require.Equal(t, [2]int64{0, 300_000}, rates(f))
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"speed-limit-up": 20, "speed-limit-up-enabled": 1}, nil))
	require.Equal(t, [2]int64{20_000, 300_000}, rates(f))
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"alt-speed-enabled": true, "alt-speed-up": 5, "alt-speed-down": 7}, nil))
	require.Equal(t, [2]int64{5_000, 7_000}, rates(f), "alternative speeds in force")
	require.Equal(t, "success", f.call(t, "session-set", map[string]any{"alt-speed-enabled": false, "speed-limit-down-enabled": false}, nil))
	require.Equal(t, [2]int64{20_000, 0}, rates(f))
	require.Contains(t, f.call(t, "session-set", map[string]any{"speed-limit-up": -5}, nil), `invalid argument "speed-limit-up"`)
	require.Equal(t, [2]int64{20_000, 0}, rates(f), "a bad value changes nothing")

	var sg map[string]any
	require.Equal(t, "success", f.call(t, "session-get", nil, &sg))
	require.EqualValues(t, 20, sg["speed-limit-up"])
	require.Equal(t, true, sg["speed-limit-up-enabled"])
	require.EqualValues(t, 300, sg["speed-limit-down"])
	require.Equal(t, false, sg["speed-limit-down-enabled"])
	require.EqualValues(t, 7, sg["alt-speed-down"])

	// A new server (a restart) applies the settings file's limits.
	f.c.SetRates(0, 0)
	_, err := New(Config{Client: f.c, DownloadDir: f.dir, StateFile: f.state, SettingsFile: f.settings})
	require.NoError(t, err)
	require.Equal(t, [2]int64{20_000, 0}, rates(f))
	// The daemon's own --download-rate is the session's limit.
	_, err = New(Config{Client: f.c, DownloadDir: f.dir, Session: SessionInfo{SpeedLimitDown: 64_000}})
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 64_000}, rates(f))
	_, err = os.Stat(f.settings)
	require.NoError(t, err)
}
