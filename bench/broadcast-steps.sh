#!/usr/bin/env bash
# Broadcast to growing subscriber counts (default 5,000 / 10,000 / 19,000;
# 100 broadcasts per step, websocket-bench pacing: 4 in flight, the next one
# sent when a broadcastResult comes back) in json, msgpack and protobuf, one
# fresh server per encoding, measured with the project's load generator
# (every receipt on every subscriber is timed and counted).
#
# Usage: bench/broadcast-steps.sh [DENSECABLE_BINARY]
#   The binary defaults to $DENSECABLE, else bin/densecable built from this clone.
# Environment: STEPS (5000,10000,19000), SAMPLE (100), ENCODINGS
#   ("json msgpack protobuf"), BENCH_OUT (default: mktemp -d),
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29280, 29290, 29251).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

DENSECABLE="${1:-${DENSECABLE:-}}"
if [[ -z $DENSECABLE ]]; then
  go build -o bin/densecable ./cmd/densecable
  DENSECABLE=bin/densecable
fi
bench_need_bin DENSECABLE "the densecable server binary" "Pass a binary as the first argument, or unset DENSECABLE to build bin/densecable."
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen

STEPS="${STEPS:-5000,10000,19000}"
SAMPLE="${SAMPLE:-100}"
ENCODINGS="${ENCODINGS:-json msgpack protobuf}"
WS_PORT="${BENCH_WS_PORT:-29280}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29290}"
RPC_PORT="${BENCH_RPC_PORT:-29251}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-bsteps.XXXXXX")}"
mkdir -p "$OUT"
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"

for enc in $ENCODINGS; do
  bench_start "$OUT/server-$enc.log" "$DENSECABLE" --host 127.0.0.1 --port "$WS_PORT" \
    --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn
  S=$BENCH_LAST_PID
  if ! bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$S" || ! bench_wait_port "$BCAST_PORT" "$S"; then
    bench_die "server did not become healthy, see $OUT/server-$enc.log"
  fi
  echo "broadcast-steps: $enc, steps $STEPS, $SAMPLE broadcasts each" >&2
  timeout 1200 bin/densecable-loadgen broadcast --url "ws://127.0.0.1:$WS_PORT/cable" --server-pid "$S" \
    --label densecable --out "$OUT/results.jsonl" --json --log-level warn --encoding "$enc" \
    --steps "$STEPS" --sample-size "$SAMPLE" >"$OUT/loadgen-$enc.log" 2>&1 ||
    echo "broadcast-steps: loadgen failed for $enc, see $OUT/loadgen-$enc.log" >&2
  bench_stop "$S" 40
done

echo "results in $OUT ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
bin/densecable-loadgen report "$OUT/results.jsonl"
