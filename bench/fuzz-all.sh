#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time (default 5s each).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //' | sort -u); do
    echo "fuzz $pkg $name ($t)"
    go test -run XXX -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >/tmp/fuzz-$name.log 2>&1 || { cat /tmp/fuzz-$name.log; exit 1; }
  done
done
echo "all fuzz targets passed"
