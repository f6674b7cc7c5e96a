// Package wsproto encodes and decodes the JSON text frames of WebTorrent's
// WebSocket tracker protocol (the signalling that lets WebRTC peers find
// each other). It is pure: no network, no goroutines, so the same code runs
// in the tracker server and in the browser build of the client.
//
// Decode is strict on sizes (frame, offers, SDP, scrape hashes) and on the
// 20-byte identifiers, and lenient where WebTorrent is: numbers may be null,
// floats or numeric strings, a scrape's info_hash may be a string or an
// array, and unknown fields are ignored.
package wsproto
