#!/usr/bin/env bash
# A CPU profile of densecable while the load generator runs one scenario
# against it (the benchmark app over gRPC, pings off, a fresh server), for
# "where does the time go" questions (docs/benchmarks.md).
#
# Usage: bench/profile.sh OUT_DIR SCENARIO [LOADGEN FLAGS...]
#   bench/profile.sh /tmp/prof-connect idle --conns 15000 --hold 16s
#   go tool pprof -top bin/densecable /tmp/prof-connect/cpu.pprof
# Environment: PROFILE_SECONDS (12; start with the scenario), BENCH_WS_PORT,
#   BENCH_BROADCAST_PORT, BENCH_RPC_PORT, BENCH_PPROF_PORT (29380, 29390, 29351, 29366).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ $# -lt 2 ]]; then
  echo "usage: bench/profile.sh OUT_DIR SCENARIO [LOADGEN FLAGS...]" >&2
  exit 2
fi
OUT=$1
shift
WS_PORT="${BENCH_WS_PORT:-29380}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29390}"
RPC_PORT="${BENCH_RPC_PORT:-29351}"
PPROF_PORT="${BENCH_PPROF_PORT:-29366}"
command -v curl >/dev/null || bench_die "curl is needed to fetch the profile"
mkdir -p "$OUT"
go build -o bin/densecable ./cmd/densecable
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT" "$PPROF_PORT"

bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"
DENSECABLE_PPROF_ADDR="127.0.0.1:$PPROF_PORT" bench_start "$OUT/densecable.log" bin/densecable \
  --host 127.0.0.1 --port "$WS_PORT" --rpc_host "127.0.0.1:$RPC_PORT" \
  --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn --ping_interval 3600
s=$BENCH_LAST_PID
bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$s" || bench_die "densecable did not become healthy, see $OUT"
bench_wait_port "$PPROF_PORT" "$s" || bench_die "no pprof listener, see $OUT/densecable.log"

curl -fsS -o "$OUT/cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=${PROFILE_SECONDS:-12}" &
prof=$!
timeout 600 bin/densecable-loadgen "$@" --url "ws://127.0.0.1:$WS_PORT/cable" --server-pid "$s" \
  --log-level warn --out "$OUT/results.jsonl" --json >>"$OUT/loadgen.log" 2>&1 ||
  echo "profile: loadgen failed, see $OUT/loadgen.log" >&2
wait "$prof" || bench_die "fetching the profile failed"
bin/densecable-loadgen report "$OUT/results.jsonl"
echo "profile: go tool pprof -top bin/densecable $OUT/cpu.pprof"
