#!/usr/bin/env bash
# Runs every go test -fuzz target in the repo for the given budget each:
# a duration ("10s", "5m") or an execution count ("20000x"). The committed
# corpora under testdata/fuzz run first, so a regression there fails at once.
#
# A duration budget can end in a bare "context deadline exceeded" from Go's
# own fuzz coordinator (go.dev/issue/75804, fixed in Go 1.27) with no failing
# input found. Such a run is reported and not counted as a failure, but only
# when no new input was written to the target's corpus: a real crasher
# always writes one. Count budgets ("Nx") have no deadline and no race, so
# `make test` uses one.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-10s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail=0
count() { if [[ -d "$1" ]]; then find "$1" -type f | wc -l; else echo 0; fi; }
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz: $pkg $t ($budget)"
    corpus="$dir/testdata/fuzz/$t"
    before=$(count "$corpus")
    if go test -run='^$' -fuzz="^${t}\$" -fuzztime="$budget" "$pkg" >"$log" 2>&1; then
      continue
    fi
    after=$(count "$corpus")
    if [[ "$after" == "$before" ]] && grep -q '^    context deadline exceeded$' "$log" &&
      [[ $(grep -c '^--- FAIL' "$log") == 1 ]]; then
      echo "fuzz: $t stopped by Go's fuzztime race (go.dev/issue/75804); no failing input was found"
      continue
    fi
    cat "$log"
    fail=1
  done
done
exit $fail
