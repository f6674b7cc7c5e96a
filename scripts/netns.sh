#!/bin/sh
# Runs a command in a fresh network namespace that has only loopback, so every
# WebRTC/ICE candidate and every connection stays on 127.0.0.1 and nothing can
# leave the machine. Needs root (unshare -n). Chromium gathers host candidates
# only with a default route, hence the routes through lo.
#   scripts/netns.sh node --test web/e2e/*.test.mjs
set -eu
if [ "$#" -eq 0 ]; then
	echo "usage: scripts/netns.sh COMMAND [ARG...]" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "netns.sh: needs root for unshare -n" >&2
	exit 1
fi
exec unshare -n sh -c '
	set -e
	ip link set lo up
	ip route add default dev lo
	ip -6 route add default dev lo 2>/dev/null || true
	exec "$@"' sh "$@"
