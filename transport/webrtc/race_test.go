//go:build race

package webrtc

// raceEnabled shrinks transfer sizes: the race detector slows pion's
// SCTP stack many times over.
const raceEnabled = true
