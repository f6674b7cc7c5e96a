#!/usr/bin/env bash
# Braid's side-by-side benchmark against libtorrent, aria2, Transmission,
# anacrolix/torrent and, in headless Chromium, WebTorrent (issue 6), on
# 127.0.0.1 only.
#
#   make bench                 bash bench/run.sh   (1 GiB, 3 runs; writes docs/PERFORMANCE.md, docs/performance.svg)
#   make test (bench-smoke)    BENCH_SIZE=16MiB BENCH_RUNS=1 bash bench/run.sh --smoke
#
# --smoke asserts nothing about speed: it fails only when a client does not
# complete or its bytes differ, and writes its report to a temp dir.
# Env: BENCH_SIZE (16MiB, 256MiB, 1GiB; default 1GiB), BENCH_RUNS (default 3),
# BENCH_OUT (report dir), BENCH_WORKDIR (scratch, needs 3x BENCH_SIZE),
# BENCH_KEEP=1 (keep the scratch dir and logs), BENCH_SCENARIOS
# (download,swarm,verify,scale,browser,smallfiles,crowd,pair,daemon; v2 alone:
# only the v2 rows of download and verify), BENCH_BROWSER_SIZE (the browser
# scenario's torrent: default BENCH_SIZE up to 64MiB, 2MiB with --smoke; it
# needs root for its loopback-only network namespace), BENCH_CACHE (where
# anacrolix/torrent is built), BENCH_QUIET_WAIT (seconds to wait before each run for other work on the
# machine to pause; default 30, 0 with --smoke), BENCH_ANACROLIX (1: build
# anacrolix/torrent even in a smoke run; 0: leave it out; by default a smoke
# run uses it only when already cached, since its first build takes minutes),
# BENCH_CROWD_SIZE and BENCH_CROWD_LEECHERS (the crowd scenario's torrent and
# leechers: default 256MiB and 30; 16MiB and 6 with --smoke; its leechers
# need BENCH_CROWD_LEECHERS x BENCH_CROWD_SIZE in BENCH_WORKDIR),
# BENCH_DAEMON_TORRENTS (the daemon scenario's torrents: default 2000; 50
# with --smoke), BENCH_STRACE=1 (one more Braid run per scenario under
# strace -f -c, listed in the report).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SMOKE=0
for a in "$@"; do
	case $a in
	--smoke) SMOKE=1 ;;
	-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
	*) echo "bench/run.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
GO=${GO:-go}
SIZE=${BENCH_SIZE:-1GiB}
RUNS=${BENCH_RUNS:-3}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/braid-bench}
ANA_VERSION=v1.59.1
ANA=$CACHE/anacrolix-$ANA_VERSION/torrent

case $SIZE in
*[!0-9KMGiB]* | "") echo "bench/run.sh: BENCH_SIZE=$SIZE: want e.g. 16MiB, 256MiB, 1GiB" >&2; exit 2 ;;
esac

echo "bench: building bin/braid and the bench helpers" >&2
mkdir -p bin "$CACHE"
$GO build -o bin/braid ./cmd/native
$GO build -o bin/bench-sha1limit ./bench/sha1limit
$GO build -o bin/bench-scale ./bench/scale
$GO build -o bin/bench-smallfiles ./bench/smallfiles
$GO build -o bin/bench-daemonload ./bench/daemonload

SCENARIOS=${BENCH_SCENARIOS:-download,swarm,verify,scale,browser,smallfiles,crowd,pair,daemon}
case ",$SCENARIOS," in
*,browser,*)
	# The browser client, and the browser tests' npm packages it is driven with.
	echo "bench: building web/braid.wasm" >&2
	make -s web >&2
	make -s npm-deps >&2
	;;
esac

bash scripts/install-test-deps.sh
if [ ! -x /usr/bin/time ]; then # GNU time: the leechers' peak RSS
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time
fi
if [ "${BENCH_STRACE:-0}" = 1 ] && ! command -v strace >/dev/null; then
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends strace
fi
want_ana=${BENCH_ANACROLIX:-}
[ -n "$want_ana" ] || { [ "$SMOKE" = 1 ] && want_ana=0 || want_ana=1; }
if [ ! -x "$ANA" ] && [ "$want_ana" = 0 ]; then
	echo "bench: anacrolix/torrent not cached in $CACHE; its rows are left out (BENCH_ANACROLIX=1 builds it)" >&2
elif [ ! -x "$ANA" ]; then
	# Built in a scratch module so this repository's go.mod is never touched.
	echo "bench: building anacrolix/torrent $ANA_VERSION (once; cached in $CACHE)" >&2
	tmp=$(mktemp -d)
	if (cd "$tmp" && GOWORK=off GOBIN="$tmp/bin" GOFLAGS=-mod=mod \
		timeout 900 $GO install "github.com/anacrolix/torrent/cmd/torrent@$ANA_VERSION") >&2; then
		mkdir -p "$(dirname "$ANA")" && mv "$tmp/bin/torrent" "$ANA"
	else
		echo "bench: warning: could not build anacrolix/torrent; its rows are left out" >&2
	fi
	rm -rf "$tmp"
fi
[ -x "$ANA" ] && [ "${BENCH_ANACROLIX:-}" != 0 ] || ANA=""

WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/braid-bench.XXXXXX")}
mkdir -p "$WORK"
if [ "$SMOKE" = 1 ]; then
	OUT=${BENCH_OUT:-$WORK/report}
else
	OUT=${BENCH_OUT:-$ROOT/docs}
fi
# The data goes at the end; the logs stay when something failed, and a
# smoke run's report stays in its temp dir.
cleanup() {
	local rc=$?
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $WORK" >&2
	elif [ -z "${BENCH_WORKDIR:-}" ]; then
		local keep=(! -name report)
		[ "$rc" = 0 ] || keep+=(! -name logs)
		find "$WORK" -mindepth 1 -maxdepth 1 "${keep[@]}" -exec rm -rf {} +
		rmdir "$WORK" 2>/dev/null || true
		[ "$rc" = 0 ] || echo "bench: logs in $WORK/logs" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

args=(--size "$SIZE" --runs "$RUNS" --workdir "$WORK" --out "$OUT" --braid "$ROOT/bin/braid"
	--sha1limit "$ROOT/bin/bench-sha1limit" --scale "$ROOT/bin/bench-scale" --smallfiles "$ROOT/bin/bench-smallfiles"
	--daemonload "$ROOT/bin/bench-daemonload" --daemon-torrents "${BENCH_DAEMON_TORRENTS:-0}"
	--anacrolix "$ANA" --anacrolix-version "$ANA_VERSION"
	--scenarios "$SCENARIOS" --browser-size "${BENCH_BROWSER_SIZE:-}"
	--crowd-size "${BENCH_CROWD_SIZE:-}" --crowd-leechers "${BENCH_CROWD_LEECHERS:-0}")
[ "${BENCH_STRACE:-0}" = 1 ] && args+=(--strace)
if [ "$SMOKE" = 1 ]; then
	args+=(--smoke --quiet-wait "${BENCH_QUIET_WAIT:-0}")
else
	args+=(--quiet-wait "${BENCH_QUIET_WAIT:-30}")
fi
# bench.py stops every process it started, on success, failure or signal.
/usr/bin/python3 -B bench/bench.py "${args[@]}"
