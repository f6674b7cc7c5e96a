#!/bin/sh
# Browser end-to-end tests: builds bin/braid and the wasm, installs the npm
# test dependencies (outside the sandbox: they need the registry), then runs
# every web/e2e/*.test.mjs one file at a time inside a loopback-only network
# namespace. Screenshots and logs: test-output/e2e/.
#   web/e2e/run.sh                  all tests
#   web/e2e/run.sh web/e2e/ui-mock.test.mjs   some
# BRAID_E2E_NO_BUILD=1 skips the builds; BRAID_E2E_OUT=DIR writes elsewhere.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT="${BRAID_E2E_OUT:-$ROOT/test-output/e2e}"
export BRAID_E2E_OUT="$OUT"
rm -rf "$OUT"
mkdir -p "$OUT"

if [ "${BRAID_E2E_NO_BUILD:-0}" != 1 ]; then
	make build web
fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
	echo "run.sh: /usr/bin/chromium missing (apt-get install chromium)" >&2
	exit 1
fi
if [ ! -d web/e2e/node_modules/playwright-core ] || [ ! -d web/e2e/node_modules/@roamhq/wrtc ]; then
	(cd web/e2e && npm ci --ignore-scripts --no-audit --no-fund)
fi

if [ "$#" -gt 0 ]; then
	set -- "$@"
else
	set -- web/e2e/*.test.mjs
fi
# Each test file bounds its own waits; this bounds the whole run too.
exec scripts/netns.sh timeout -k 10 "${BRAID_E2E_TIMEOUT:-1800}" \
	node --test --test-concurrency=1 --test-reporter=spec "$@"
