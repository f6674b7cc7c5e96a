#!/usr/bin/env bash
# go test -exec wrapper for GOOS=js GOARCH=wasm: like Go's go_js_wasm_exec,
# but loads fake-indexeddb first so persist's IndexedDB code runs under Node.
#
#   GOOS=js GOARCH=wasm go test -exec "$PWD/scripts/wasm-node-exec.sh" ./persist/
#
# fake-indexeddb comes from web/e2e/node_modules (cd web/e2e && npm ci
# --ignore-scripts); BRAID_FAKE_IDB may point at another fake-indexeddb/auto.
set -euo pipefail

src="${BASH_SOURCE[0]}"
while [ -h "$src" ]; do
	dir="$(cd -P "$(dirname "$src")" && pwd)"
	src="$(readlink "$src")"
	[[ $src != /* ]] && src="$dir/$src"
done
root="$(cd -P "$(dirname "$src")/.." && pwd)"

auto="${BRAID_FAKE_IDB:-$root/web/e2e/node_modules/fake-indexeddb/auto/index.js}"
if [ ! -e "$auto" ]; then
	echo "wasm-node-exec: $auto is missing; run: (cd $root/web/e2e && npm ci --ignore-scripts)" >&2
	exit 2
fi

goroot="${GOROOT:-$(go env GOROOT)}"
# A larger V8 stack, as go_js_wasm_exec uses, so deep tests do not overflow.
exec node --stack-size=8192 --require "$auto" "$goroot/lib/wasm/wasm_exec_node.js" "$@"
