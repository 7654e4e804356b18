#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time (default 5s each).
# A run the Go fuzzing engine ends with "context deadline exceeded" (its
# worker was busy when -fuzztime ran out, which happens on a loaded machine;
# no failing input is written) is tried again, up to three times in all.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //' | sort -u); do
    echo "fuzz $pkg $name ($t)"
    log=/tmp/fuzz-$name.log
    for try in 1 2 3; do
      if go test -run XXX -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >"$log" 2>&1; then
        break
      fi
      if grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written" "$log" && [ "$try" -lt 3 ]; then
        echo "  engine deadline on try $try, running again"
        continue
      fi
      cat "$log"
      exit 1
    done
  done
done
echo "all fuzz targets passed"
