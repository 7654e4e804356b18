#!/usr/bin/env bash
# bench/pusher.sh: what a Pusher connection costs next to an Action Cable
# one on the same server (docs/pusher.md, "Figures"):
#   1. idle RSS per connection: BENCH_IDLE_CONNS (default 10,000) subscribed
#      connections of each protocol, each on a fresh server, held 10 s;
#   2. a broadcast to BENCH_SUBSCRIBERS (default 5,000) subscribers of each
#      protocol: BENCH_BROADCASTS (default 200) publications through the
#      HTTP broadcaster, server CPU (user + system, /proc) per delivered
#      message.
# No RPC application: Action Cable clients use public streams (--public),
# Pusher clients a public channel of the same name.
#
# Environment: BENCH_WS_PORT, BENCH_BROADCAST_PORT (default 29180, 29190),
# BENCH_OUT (results directory, default a new /tmp/densecable-pusher.*).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

BIN=bin
WS_PORT="${BENCH_WS_PORT:-29180}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29190}"
IDLE_CONNS="${BENCH_IDLE_CONNS:-10000}"
SUBSCRIBERS="${BENCH_SUBSCRIBERS:-5000}"
BROADCASTS="${BENCH_BROADCASTS:-200}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-pusher.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
KEY=bench-key
STREAM=bench

[[ -x $BIN/densecable ]] || go build -o "$BIN/densecable" ./cmd/densecable
[[ -x $BIN/densecable-loadgen ]] || go build -o "$BIN/densecable-loadgen" ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT"

# start_server NAME [FLAGS...]
start_server() {
  local name=$1
  shift
  bench_start_server "$OUT/server-$name.log" "$WS_PORT" "$BCAST_PORT" env ANYCABLE_DISABLE_TELEMETRY=true "$BIN/densecable" \
    --host 127.0.0.1 --port "$WS_PORT" --norpc --public --pusher_app_id bench --pusher_app_key "$KEY" \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --metrics_http /metrics --log_level warn "$@"
}

# loadgen_args PROTO: the client flags for one protocol.
loadgen_args() {
  if [[ $1 == pusher ]]; then
    echo --encoding pusher --url "ws://127.0.0.1:$WS_PORT/app/$KEY?protocol=7" --channel "$STREAM"
  else
    echo --encoding json --url "ws://127.0.0.1:$WS_PORT/cable" --channel "{\"channel\":\"\$pubsub\",\"stream_name\":\"$STREAM\"}"
  fi
}

for proto in actioncable pusher; do
  echo "pusher bench: idle $IDLE_CONNS $proto" >&2
  start_server "idle-$proto"
  # shellcheck disable=SC2046 # loadgen_args is a list of flags
  timeout 600 "$BIN/densecable-loadgen" idle $(loadgen_args "$proto") --conns "$IDLE_CONNS" --hold 10s \
    --server-pid "$SERVER_PID" --label "densecable $proto" --out "$RESULTS" --json --log-level warn >/dev/null
  bench_stop "$SERVER_PID" 40
done

for proto in actioncable pusher; do
  echo "pusher bench: broadcast to $SUBSCRIBERS $proto" >&2
  start_server "broadcast-$proto" --ping_interval 60
  # shellcheck disable=SC2046
  bench_start "$OUT/loadgen-broadcast-$proto.log" "$BIN/densecable-loadgen" idle $(loadgen_args "$proto") \
    --conns "$SUBSCRIBERS" --hold 600s --label "densecable $proto" --log-level warn
  LOADGEN_PID=$BENCH_LAST_PID
  subscribed() { [[ $(bench_metric "$WS_PORT" clients_num) -ge $SUBSCRIBERS ]]; }
  bench_wait_for "$LOADGEN_PID" 300 subscribed || bench_die "$SUBSCRIBERS clients did not connect"
  read -r us bytes < <(bench_broadcast_cpu "$WS_PORT" "$BCAST_PORT" "$STREAM" "$SUBSCRIBERS" "$BROADCASTS")
  echo "{\"scenario\":\"broadcast-cpu\",\"label\":\"densecable $proto\",\"subscribers\":$SUBSCRIBERS,\"broadcasts\":$BROADCASTS,\"server_cpu_us_per_delivery\":$us,\"bytes_per_delivery\":$bytes}" >>"$RESULTS"
  bench_stop "$LOADGEN_PID" 20
  bench_stop "$SERVER_PID" 40
done

echo
echo "pusher bench — results in $RESULTS"
"$BIN/densecable-loadgen" report "$RESULTS" 2>/dev/null || true
grep broadcast-cpu "$RESULTS"
