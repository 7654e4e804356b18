#!/usr/bin/env bash
# bench/protocols.sh (`make bench-protocols`): every protocol and transport
# in one table. Each row gets a freshly started densecable (the same flags
# for all, plus --enable_ws_compression for the compression row) and the
# benchmark RPC application; the existing per-protocol tools open the
# clients:
#   idle: PROTO_CONNS (default 10,000) subscribed connections (sessions with
#     one held request for long polling), server RSS above the idle process
#     per connection and goroutines, sampled after the last client is
#     subscribed and PROTO_HOLD (default 5s) has passed;
#   broadcast: PROTO_BCAST (default 5,000) subscribers of one stream,
#     PROTO_MESSAGES (default 100) publications in one HTTP broadcast
#     request, server CPU (user + system, /proc) per delivery
#     (bench_broadcast_cpu) for WebSocket, SSE and Pusher.
# Ratios are to the Action Cable JSON WebSocket row. Results (JSON lines and
# logs) in PROTO_OUT (default a new /tmp/densecable-protocols.* directory).
#
#   PROTO_CONNS=1000 PROTO_BCAST=500 bench/protocols.sh
#   PROTO_ROWS="ws sse" bench/protocols.sh      # a subset
# Ports: PROTO_WS_PORT, PROTO_BROADCAST_PORT, PROTO_RPC_PORT (29580, 29590, 29551).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

BIN=bin
CONNS="${PROTO_CONNS:-10000}"
BCAST="${PROTO_BCAST:-5000}"
MESSAGES="${PROTO_MESSAGES:-100}"
HOLD="${PROTO_HOLD:-5s}"
ROWS="${PROTO_ROWS:-ws deflate sse poll pusher graphql ocpp}"
WS_PORT="${PROTO_WS_PORT:-29580}" BCAST_PORT="${PROTO_BROADCAST_PORT:-29590}" RPC_PORT="${PROTO_RPC_PORT:-29551}"
OUT="${PROTO_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-protocols.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
KEY=bench-key STREAM=bench
HTTP="http://127.0.0.1:$WS_PORT"

# Every client is a file descriptor in the server (and one in the tools).
bench_open_files $((CONNS + 1000)) "PROTO_CONNS=$CONNS"

for t in densecable:cmd/densecable densecable-benchapp:bench/app densecable-loadgen:bench/loadgen \
  densecable-sseload:bench/sseload densecable-lpidle:bench/lpidle densecable-ocppidle:bench/ocppidle; do
  [[ -x $BIN/${t%%:*} ]] || go build -o "$BIN/${t%%:*}" "./${t#*:}"
done
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

bench_start "$OUT/benchapp.log" "$BIN/densecable-benchapp" --grpc "127.0.0.1:$RPC_PORT" --http "" \
  --broadcast_url "http://127.0.0.1:$BCAST_PORT/_broadcast" --log_level warn
bench_wait_port "$RPC_PORT" "$BENCH_LAST_PID" || bench_die "benchmark app did not start, see $OUT/benchapp.log"

# start NAME [FLAGS...]: a fresh server with every protocol on.
start() {
  local name=$1
  shift
  bench_start_server "$OUT/server-$name.log" "$WS_PORT" "$BCAST_PORT" env ANYCABLE_DISABLE_TELEMETRY=true \
    "$BIN/densecable" --host 127.0.0.1 --port "$WS_PORT" --rpc_host "127.0.0.1:$RPC_PORT" --public_streams \
    --sse --poll --pusher_app_id bench --pusher_app_key "$KEY" --graphql_path /graphql --ocpp_path /ocpp \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --metrics_http /metrics --max-conn 0 \
    --ping_interval 60 --log_level warn "$@"
}

# record ROW KIND KB GOROUTINES|CPU_US [BYTES]
record() { echo "{\"row\":\"$1\",\"kind\":\"$2\",\"value\":${3:-null},\"extra\":${4:-null}}" >>"$RESULTS"; }

# loadgen_args ROW: the load generator's client flags for ROW.
loadgen_args() {
  case $1 in
    ws) echo --encoding json --url "ws://127.0.0.1:$WS_PORT/cable" --channel "{\"channel\":\"\$pubsub\",\"stream_name\":\"$STREAM\"}" ;;
    deflate) echo --deflate --encoding json --url "ws://127.0.0.1:$WS_PORT/cable" --channel "{\"channel\":\"\$pubsub\",\"stream_name\":\"$STREAM\"}" ;;
    pusher) echo --encoding pusher --url "ws://127.0.0.1:$WS_PORT/app/$KEY?protocol=7" --channel "$STREAM" ;;
    graphql) echo --encoding graphql --url "ws://127.0.0.1:$WS_PORT/graphql" ;;
  esac
}

idle() {
  local row=$1 flags=() line
  [[ $row == deflate ]] && flags=(--enable_ws_compression)
  echo "protocols: idle $CONNS $row" >&2
  start "idle-$row" "${flags[@]}"
  case $row in
    sse)
      line=$(timeout 900 "$BIN/densecable-sseload" --url "$HTTP" --server-pid "$SERVER_PID" --transport sse \
        --stream "$STREAM" --conns "$CONNS" --settle "$HOLD")
      record "$row" idle "$(jq '.bytes_per_client / 1024' <<<"$line")" "$(jq .goroutines_with_clients <<<"$line")" ;;
    poll)
      line=$(timeout 900 "$BIN/densecable-lpidle" --addr "127.0.0.1:$WS_PORT" --n "$CONNS" --hold "$HOLD" \
        --server-pid "$SERVER_PID" --goroutines "metrics:$HTTP/metrics")
      echo "$line" >"$OUT/lpidle.txt"
      record "$row" idle "$(sed -n 's/.*: \([0-9.]*\) KB per session/\1/p' <<<"$line")" \
        "$(sed -n 's/^goroutines: [0-9-]* before, \([0-9-]*\) with.*/\1/p' <<<"$line")" ;;
    ocpp)
      # densecable-ocppidle reports no goroutine count.
      line=$(timeout 900 "$BIN/densecable-ocppidle" --server "127.0.0.1:$WS_PORT" --mode ocpp --conns "$CONNS" \
        --hold "$HOLD" --server-pid "$SERVER_PID")
      [[ $(jq .failed <<<"$line") == 0 ]] || echo "protocols: ocpp: $line" >&2
      record "$row" idle "$(jq .kb_per_conn <<<"$line")" ;;
    *)
      # shellcheck disable=SC2046 # loadgen_args is a list of flags
      timeout 900 "$BIN/densecable-loadgen" idle $(loadgen_args "$row") --conns "$CONNS" --hold "$HOLD" \
        --server-pid "$SERVER_PID" --label "$row" --out "$OUT/loadgen.jsonl" --json --log-level warn >/dev/null
      line=$(tail -n 1 "$OUT/loadgen.jsonl")
      [[ $(jq '.failed + .dropped' <<<"$line") == 0 ]] || echo "protocols: $row: $line" >&2
      record "$row" idle "$(jq .kb_per_conn <<<"$line")" "$(jq .goroutines <<<"$line")" ;;
  esac
  bench_stop "$SERVER_PID" 40
}

broadcast() {
  local row=$1 holder us bytes
  echo "protocols: broadcast to $BCAST $row" >&2
  start "broadcast-$row"
  if [[ $row == sse ]]; then
    # sseload holds its subscribed streams for the settle time.
    bench_start "$OUT/holder-$row.log" "$BIN/densecable-sseload" --url "$HTTP" --server-pid "$SERVER_PID" \
      --transport sse --stream "$STREAM" --conns "$BCAST" --settle 600s --timeout 700s
  else
    # shellcheck disable=SC2046
    bench_start "$OUT/holder-$row.log" "$BIN/densecable-loadgen" idle $(loadgen_args "$row") \
      --conns "$BCAST" --hold 600s --label "$row" --log-level warn
  fi
  holder=$BENCH_LAST_PID
  subscribed() { [[ $(bench_metric "$WS_PORT" clients_num) -ge $BCAST ]]; }
  bench_wait_for "$holder" 300 subscribed || bench_die "$BCAST $row clients did not connect, see $OUT/holder-$row.log"
  sleep 1 # the last confirmations are written
  read -r us bytes < <(bench_broadcast_cpu "$WS_PORT" "$BCAST_PORT" "$STREAM" "$BCAST" "$MESSAGES") || true
  [[ -n ${us:-} ]] || bench_die "broadcast to $row: no measure (see above)"
  record "$row" broadcast "$us" "$bytes"
  bench_stop "$holder" 20
  bench_stop "$SERVER_PID" 40
}

for row in $ROWS; do idle "$row"; done
for row in $ROWS; do
  case $row in ws | sse | pusher) broadcast "$row" ;; esac
done

echo
echo "densecable, every protocol: $CONNS idle each (held $HOLD), broadcast $MESSAGES messages to $BCAST — $(date -u +%F), results in $OUT"
jq -rs --arg n "$CONNS" --arg b "$BCAST" -f bench/protocols-table.jq "$RESULTS"
