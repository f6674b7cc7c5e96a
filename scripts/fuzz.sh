#!/usr/bin/env bash
# Runs every go test -fuzz target in the repo for the given time each
# (default 10s). The committed corpora under testdata/fuzz run first, so a
# regression there fails at once.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-10s}"
fail=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($fuzztime)"
    if ! go test -run='^$' -fuzz="^${t}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/braid-fuzz.log 2>&1; then
      cat /tmp/braid-fuzz.log
      fail=1
    fi
  done
done
exit $fail
