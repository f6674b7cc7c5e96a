// Package tracker speaks to BitTorrent trackers: HTTP (BEP 3, 7, 23) and
// UDP (BEP 15) announce clients, a BEP 12 multitracker Announcer, and a
// small in-memory tracker Server (HTTP and UDP) for `braid tracker`, the
// demo and tests.
//
// Everything a tracker or a client sends is parsed with explicit bounds
// (httpreply.go, httpquery.go, udpproto.go: pure code with fuzz targets);
// the network code lives beside it.
package tracker
