#!/usr/bin/env bash
# `make bench`: a short run of every scenario (connect, idle, broadcast,
# echo; json, msgpack and protobuf) against densecable and the benchmark RPC
# app, printing one table. `bench/run.sh --long` runs the issue's full
# targets (19,000 idle, broadcast to 5,000/10,000/19,000, a 19,000-connection
# avalanche, connections beyond the open-file limit). `bench/run.sh
# --avalanche` only opens 19,000 connections as fast as the client can,
# BENCH_ROUNDS times (default 3) per encoding, for medians.
#
# Every scenario gets a freshly started server, so memory figures start from
# an idle process and no scenario inherits the previous one's disconnects.
#
# Environment:
#   SERVER_BIN         server binary (default bin/densecable; anycable-go works too)
#   SERVER_LABEL       label of the result rows (default: the binary's name)
#   SERVER_EXTRA_ARGS  extra server flags
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT, BENCH_PPROF_PORT
#                      ports (default 29080, 29090, 29051, 29060: below the
#                      ephemeral range, so thousands of client sockets never hold them)
#   BENCH_OUT          directory for results.jsonl, logs and heap profiles
#                      (default: a new /tmp/densecable-bench.* directory)
#   BENCH_ENCODINGS    encodings to run (default "json msgpack protobuf")
#   BENCH_ROUNDS       rounds of --avalanche (default 3)
#   BENCH_ONLY         run only these scenarios (e.g. "idle echo"; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

MODE=short
case "${1:-}" in
  --long) MODE=long ;;
  --avalanche) MODE=avalanche ;;
  "") ;;
  *) echo "usage: bench/run.sh [--long | --avalanche]" >&2; exit 2 ;;
esac

BIN=bin
SERVER_BIN="${SERVER_BIN:-$BIN/densecable}"
SERVER_LABEL="${SERVER_LABEL:-$(basename "$SERVER_BIN")}"
WS_PORT="${BENCH_WS_PORT:-29080}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29090}"
RPC_PORT="${BENCH_RPC_PORT:-29051}"
PPROF_PORT="${BENCH_PPROF_PORT:-29060}"
ENCODINGS="${BENCH_ENCODINGS:-json msgpack protobuf}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-bench.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"

# Build what is missing (make bench has built everything already).
[[ -x $BIN/densecable || $SERVER_BIN != "$BIN/densecable" ]] || go build -o "$BIN/densecable" ./cmd/densecable
[[ -x $BIN/densecable-benchapp ]] || go build -o "$BIN/densecable-benchapp" ./bench/app
[[ -x $BIN/densecable-loadgen ]] || go build -o "$BIN/densecable-loadgen" ./bench/loadgen

bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT" "$PPROF_PORT"

bench_start "$OUT/benchapp.log" "$BIN/densecable-benchapp" --grpc "127.0.0.1:$RPC_PORT" --http "" \
  --broadcast_url "http://127.0.0.1:$BCAST_PORT/_broadcast" --log_level warn
bench_wait_port "$RPC_PORT" "$BENCH_LAST_PID" || bench_die "benchmark app did not start, see $OUT/benchapp.log"

RUN=0
start_server() {
  RUN=$((RUN + 1))
  SERVER_LOG="$OUT/server-$RUN.log"
  # shellcheck disable=SC2086 # SERVER_EXTRA_ARGS is a list of flags
  bench_start "$SERVER_LOG" env ANYCABLE_DISABLE_TELEMETRY=true DENSECABLE_PPROF_ADDR="127.0.0.1:$PPROF_PORT" \
    "$SERVER_BIN" --host 127.0.0.1 --port "$WS_PORT" --rpc_host "127.0.0.1:$RPC_PORT" \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --metrics_http /metrics \
    ${SERVER_EXTRA_ARGS:-}
  SERVER_PID=$BENCH_LAST_PID
  if ! bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$SERVER_PID" ||
    ! bench_wait_port "$BCAST_PORT" "$SERVER_PID"; then
    bench_die "server did not become healthy, see $SERVER_LOG"
  fi
}

# Graceful shutdown flushes Disconnect calls; after 40 s the server is killed.
stop_server() {
  bench_stop "$SERVER_PID" 40
  SERVER_PID=""
}

# scenario <name> [loadgen flags...]: one fresh server, one loadgen run.
scenario() {
  local name=$1
  shift
  if [[ -n ${BENCH_ONLY:-} && " $BENCH_ONLY " != *" $name "* ]]; then
    return 0
  fi
  echo "bench: $name $* (server log $OUT/server-$((RUN + 1)).log)" >&2
  start_server
  timeout 1200 "$BIN/densecable-loadgen" "$name" --url "ws://127.0.0.1:$WS_PORT/cable" \
    --server-pid "$SERVER_PID" --label "$SERVER_LABEL" --out "$RESULTS" --json --log-level warn "$@" >/dev/null ||
    echo "bench: $name $* failed (see above); continuing" >&2
  stop_server
}

START=$(date +%s)
if [[ $MODE == short ]]; then
  for enc in $ENCODINGS; do
    scenario connect --encoding "$enc" --conns 2000
    scenario idle --encoding "$enc" --conns 2000 --per-process 1000 --hold 5s \
      --heap-profile "$OUT/heap-idle-2000-$enc.pb.gz" --pprof-url "http://127.0.0.1:$PPROF_PORT"
    scenario broadcast --encoding "$enc" --steps 500,1000 --sample-size 50 --settle 300ms
    scenario echo --encoding "$enc" --conns 100 --sample-size 1000
  done
  scenario broadcast --conns 1000 --sample-size 50 --broadcast-rate 20
elif [[ $MODE == avalanche ]]; then
  for round in $(seq 1 "${BENCH_ROUNDS:-3}"); do
    for enc in $ENCODINGS; do
      scenario connect --encoding "$enc" --conns 19000 --rate 0 --note "avalanche round $round"
    done
  done
else
  for enc in $ENCODINGS; do
    scenario idle --encoding "$enc" --conns 19000 --hold 30s \
      --heap-profile "$OUT/heap-idle-19000-$enc.pb.gz" --pprof-url "http://127.0.0.1:$PPROF_PORT"
    scenario connect --encoding "$enc" --conns 19000 --rate 0 --note avalanche
    scenario broadcast --encoding "$enc" --steps 5000,10000,19000 --sample-size 100
    scenario echo --encoding "$enc" --conns 1000 --sample-size 10000
  done
  # A steady load instead of websocket-bench's result-paced bursts.
  scenario broadcast --steps 5000 --sample-size 100 --broadcast-rate 10
  scenario broadcast --steps 19000 --sample-size 50 --broadcast-rate 5
  # Beyond the server's open-file limit (20,000 here): the extra connections
  # must be refused cleanly while the others keep receiving. The first step
  # opens the app's keep-alive broadcast connections, as a running app has.
  scenario broadcast --encoding json --steps 1000,20100 --sample-size 20 --timeout 15s --note "beyond the fd limit"
fi

echo
echo "densecable bench ($MODE, $(($(date +%s) - START)) s) — results in $OUT"
"$BIN/densecable-loadgen" report "$RESULTS"
if command -v go >/dev/null && ls "$OUT"/heap-idle-*-json.pb.gz >/dev/null 2>&1; then
  for prof in "$OUT"/heap-idle-*-json.pb.gz; do
    echo
    echo "heap in use at the end of the idle hold ($(basename "$prof")), top 12:"
    go tool pprof -sample_index=inuse_space -top -nodecount=12 "$SERVER_BIN" "$prof" 2>/dev/null | sed -n '/flat%/,$p' || true
  done
fi
