// Package dht is Braid's BEP 5 mainline DHT node: it finds peers for an info
// hash without a tracker and tells the network that we have a torrent.
//
// Native builds run github.com/anacrolix/dht/v2 behind a small guarded API:
// inbound packets are vetted before the library sees them (so a hostile
// datagram cannot crash the process), peers stored for others are bounded,
// lookups are bounded in number and duration, and the routing table survives
// restarts through a state file. In the browser (js/wasm) there is no UDP, so
// New returns ErrUnsupported there.
package dht
