#!/usr/bin/env bash
# A/B of two densecable builds: broadcast to 5,000 JSON subscribers (100
# broadcasts, websocket-bench pacing), both builds in the same run,
# alternating (the order flips every round), a fresh server each time.
#
# Usage: bench/compare-broadcast.sh A B
#   A and B are each a densecable binary or a git revision of this repository
#   (built into a temporary directory from `git archive`, the working tree
#   is not touched). Example, the broadcast batching change:
#     bench/compare-broadcast.sh 1ae6f58^ 1ae6f58
# SCENARIO=connect measures connect + subscribe of CONNS clients instead
#   (server CPU per connection; docs/benchmarks.md):
#     SCENARIO=connect bench/compare-broadcast.sh main HEAD
# Environment: ROUNDS (3), CONNS (5000), SAMPLE (100), ENCODING (json),
#   BENCH_OUT (default: mktemp -d),
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29180, 29190, 29151).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ $# -ne 2 ]]; then
  echo "usage: bench/compare-broadcast.sh A B   (each a densecable binary or a git revision)" >&2
  exit 2
fi
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-5000}"
SAMPLE="${SAMPLE:-100}"
ENCODING="${ENCODING:-json}"
SCENARIO="${SCENARIO:-broadcast}"
case $SCENARIO in
broadcast) SCENARIO_FLAGS=(broadcast --steps "$CONNS" --sample-size "$SAMPLE") ;;
connect) SCENARIO_FLAGS=(connect --conns "$CONNS") ;;
*) bench_die "SCENARIO must be broadcast or connect" ;;
esac
WS_PORT="${BENCH_WS_PORT:-29180}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29190}"
RPC_PORT="${BENCH_RPC_PORT:-29151}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-abcmp.XXXXXX")}"
mkdir -p "$OUT"
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/densecable-abbuild.XXXXXX")
BENCH_RMDIRS+=("$BUILD")

BIN_A=$(bench_build_densecable "$1" "$BUILD" a)
BIN_B=$(bench_build_densecable "$2" "$BUILD" b)
label() { # spec: a short label (the revision's short hash or the file name)
  if [[ -f $1 ]]; then basename "$1"; else echo "$1=$(git rev-parse --short "$1")"; fi
}
LABEL_A=$(label "$1")
LABEL_B=$(label "$2")
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"

run_one() { # binary label round
  local log="$OUT/$2-$3.log" s
  log=${log//[^A-Za-z0-9._\/-]/_}
  bench_start "$log" "$1" --host 127.0.0.1 --port "$WS_PORT" --rpc_host "127.0.0.1:$RPC_PORT" \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn
  s=$BENCH_LAST_PID
  if ! bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$s" || ! bench_wait_port "$BCAST_PORT" "$s"; then
    bench_die "$2 did not become healthy, see $log"
  fi
  echo "compare-broadcast: round $3, $2" >&2
  timeout 600 bin/densecable-loadgen "${SCENARIO_FLAGS[@]}" --url "ws://127.0.0.1:$WS_PORT/cable" --server-pid "$s" \
    --label "$2 #$3" --out "$OUT/results.jsonl" --json --log-level warn --encoding "$ENCODING" \
    >>"$OUT/loadgen.log" 2>&1 ||
    echo "compare-broadcast: loadgen failed for $2 round $3, see $OUT/loadgen.log" >&2
  bench_stop "$s" 40
}

for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then
    run_one "$BIN_A" "$LABEL_A" "$round"
    run_one "$BIN_B" "$LABEL_B" "$round"
  else
    run_one "$BIN_B" "$LABEL_B" "$round"
    run_one "$BIN_A" "$LABEL_A" "$round"
  fi
done

echo "A = $LABEL_A, B = $LABEL_B; results in $OUT ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
bin/densecable-loadgen report "$OUT/results.jsonl"
if [[ $SCENARIO == connect ]] && command -v jq >/dev/null; then
  echo "server CPU per connect + subscribe (µs), per round:"
  jq -r 'select(.ok > 0) | "\(.label)\t\(.server_cpu_s * 1e6 / .ok | floor)"' "$OUT/results.jsonl"
fi
