#!/usr/bin/env bash
# bench/sse.sh: idle Server-Sent Events streams and broadcasts to them, next
# to WebSocket clients measured the same way (bench/sseload). Each row gets a
# freshly started densecable (--public --sse, no RPC), so memory figures
# start from an idle process.
#
#   SSE_IDLE       idle clients (default 10000)
#   SSE_BCAST      subscribers of the broadcast rows (default 5000)
#   SSE_MESSAGES   messages published in the broadcast rows (default 20)
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT  ports (default 29080, 29090)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

BIN=bin
WS_PORT="${BENCH_WS_PORT:-29080}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29090}"
IDLE="${SSE_IDLE:-10000}"
BCAST="${SSE_BCAST:-5000}"
MESSAGES="${SSE_MESSAGES:-20}"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/densecable-sse.XXXXXX")"
go build -o "$BIN/densecable" ./cmd/densecable
go build -o "$BIN/densecable-sseload" ./bench/sseload
bench_check_ports "$WS_PORT" "$BCAST_PORT"

row() {
  local transport=$1 conns=$2 broadcasts=$3
  bench_start_server "$OUT/server.log" "$WS_PORT" "$BCAST_PORT" "$BIN/densecable" --host 127.0.0.1 --port "$WS_PORT" --public --sse \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --metrics_http /metrics --log_level warn
  local pid=$SERVER_PID
  "$BIN/densecable-sseload" --url "http://127.0.0.1:$WS_PORT" --broadcast "http://127.0.0.1:$BCAST_PORT/_broadcast" \
    --server-pid "$pid" --transport "$transport" --conns "$conns" --broadcasts "$broadcasts" | tee -a "$OUT/results.jsonl"
  bench_stop "$pid" 40
}

row sse "$IDLE" 0
row ws "$IDLE" 0
row sse "$BCAST" "$MESSAGES"
row ws "$BCAST" "$MESSAGES"
echo "results in $OUT/results.jsonl" >&2
