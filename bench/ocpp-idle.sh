#!/usr/bin/env bash
# Idle OCPP charge points next to idle Action Cable clients: for each mode a
# fresh benchmark RPC application and densecable (--ocpp_path=/ocpp), then
# densecable-ocppidle opens OCPP_CONNS booted charge points (or subscribed
# Action Cable clients: cable on one shared stream, cable-own on a stream
# each, as charge points are), holds them OCPP_HOLD and prints one JSON line
# with the server's RSS per connection.
#
#   bench/ocpp-idle.sh                       # 10,000 of each, 10 s hold
#   OCPP_CONNS=2000 OCPP_HOLD=3s bench/ocpp-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CONNS="${OCPP_CONNS:-10000}"
HOLD="${OCPP_HOLD:-10s}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/densecable-ocppidle.XXXXXX")"
BENCH_RMDIRS+=("$WORK")
WS_PORT="${OCPP_WS_PORT:-29480}" RPC_PORT="${OCPP_RPC_PORT:-29451}" BC_PORT="${OCPP_BC_PORT:-29490}"
bench_check_ports "$WS_PORT" "$RPC_PORT" "$BC_PORT"

go build -o "$WORK/densecable" ./cmd/densecable
go build -o "$WORK/benchapp" ./bench/app
go build -o "$WORK/ocppidle" ./bench/ocppidle

for mode in cable cable-own ocpp; do
  bench_start "$WORK/app-$mode.log" "$WORK/benchapp" --grpc "127.0.0.1:$RPC_PORT" --http "" \
    --broadcast_url "http://127.0.0.1:$BC_PORT/_broadcast"
  app=$BENCH_LAST_PID
  bench_wait_port "$RPC_PORT" "$app"
  bench_start "$WORK/server-$mode.log" "$WORK/densecable" --host 127.0.0.1 --port "$WS_PORT" \
    --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BC_PORT" \
    --ocpp_path /ocpp --max-conn 0 --log_level warn
  server=$BENCH_LAST_PID
  bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$server" || { cat "$WORK/server-$mode.log" >&2; bench_die "densecable did not start"; }
  "$WORK/ocppidle" --server "127.0.0.1:$WS_PORT" --mode "$mode" --conns "$CONNS" --hold "$HOLD" --server-pid "$server"
  bench_stop "$server"
  bench_stop "$app"
done
