// Package webrtc carries the BitTorrent peer wire over WebRTC data channels,
// the way WebTorrent does, so Braid can trade pieces with browsers.
//
// It has two halves. A data channel is wrapped as a net.Conn (newConn) so
// the engine treats a WebRTC peer like a TCP one: bounded receive queue,
// 16 KiB messages, send back-pressure through the channel's buffered amount,
// and working deadlines. An Announcer finds such peers through one
// WebTorrent WebSocket tracker: it announces with SDP offers, answers the
// offers the tracker relays, and hands each opened channel to OnConn.
//
// The same API builds natively (pion's own ICE/DTLS/SCTP stack) and for
// GOOS=js GOARCH=wasm (pion's wrapper over the browser's RTCPeerConnection).
package webrtc
