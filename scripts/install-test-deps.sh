#!/bin/sh
# Installs the foreign BitTorrent peers and trackers the interop tests drive
# (test/interop): libtorrent (python3 bindings), Transmission, aria2,
# opentracker, mktorrent, iproute2; the SOCKS5 servers microsocks and dante's
# danted, and nftables (the proxy test counts packets that go around the
# proxy); coturn (the TURN server of web/e2e/reach-turn); g++ for libutp
# (uTP is cgo); and for the browser tests (web/e2e) Debian's
# Chromium, Node and npm; faketime for scripts/make-testdata.sh. Debian/Ubuntu,
# as root (or via sudo).
# Idempotent: a quick no-op when everything is present.
set -eu

missing=""
for cmd in g++ turnserver aria2c transmission-cli transmission-daemon transmission-remote opentracker mktorrent ip chromium node npm unshare nsenter faketime microsocks; do
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
done
# In /usr/sbin, which a non-root PATH may lack.
[ -x /usr/sbin/danted ] || missing="$missing dante-server"
[ -x /usr/sbin/nft ] || missing="$missing nftables"
# The tests call Debian's interpreter: another python3 first on PATH may not see the module.
if ! /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1; then
	missing="$missing python3-libtorrent"
fi
[ -z "$missing" ] && exit 0

echo "install-test-deps: missing:$missing; installing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-test-deps: need root (or sudo) to apt-get install" >&2
		exit 1
	fi
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	python3-libtorrent transmission-cli transmission-daemon aria2 opentracker mktorrent faketime iproute2 coturn \
	chromium util-linux g++ microsocks dante-server nftables $(command -v node >/dev/null 2>&1 || echo nodejs) $(command -v npm >/dev/null 2>&1 || echo npm)
