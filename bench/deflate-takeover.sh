#!/usr/bin/env bash
# Compression with and without context takeover, in one run, modes
# alternating round by round (docs/benchmarks.md, "Idle compressed
# connections"; docs/compression.md):
#   idle:      plain / deflate without takeover / deflate with takeover
#              (--ws_compression_context_takeover), the load generator
#              compressing its subscribe (--deflate-commands) so that the
#              server's window per connection is in use; then the same with
#              a subscribe of about 33 KB, which fills the 32 KB window
#              (RSS difference between the two deflate modes = the window)
#   broadcast: deflate without / with takeover, server CPU per delivery
#
# Environment: DT_ROUNDS (2), DT_CONNS (10000), DT_FULL_CONNS (2000),
# DT_BCAST_CONNS (2000), DT_PORT (first of the ports, 33000; up to 90 are
# used, three at a time), DT_OUT
# (results directory; default a new temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

ROUNDS="${DT_ROUNDS:-2}"
CONNS="${DT_CONNS:-10000}"
FULL_CONNS="${DT_FULL_CONNS:-2000}"
BCAST_CONNS="${DT_BCAST_CONNS:-2000}"
BASE="${DT_PORT:-33000}"
OUT="${DT_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/deflate-takeover.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
BIN=bin
go build -o "$BIN/densecable" ./cmd/densecable
go build -o "$BIN/densecable-benchapp" ./bench/app
go build -o "$BIN/densecable-loadgen" ./bench/loadgen

# start MODE: the benchmark app and a fresh server in MODE (plain, off, on)
# on three ports from DT_PORT. On a machine whose ephemeral port range
# covers them a port may be briefly taken: the next three are tried then.
ATTEMPT=0
start() {
  local mode=$1 flags=() tries
  case $mode in
    off) flags=(--enable_ws_compression) ;;
    on) flags=(--enable_ws_compression --ws_compression_context_takeover) ;;
  esac
  for tries in 1 2 3 4 5 6 7 8; do
    ATTEMPT=$(((ATTEMPT + 1) % 30))
    WS_PORT=$((BASE + 3 * ATTEMPT)) BCAST_PORT=$((BASE + 3 * ATTEMPT + 1)) RPC_PORT=$((BASE + 3 * ATTEMPT + 2))
    if bench_port_open "$WS_PORT" || bench_port_open "$BCAST_PORT" || bench_port_open "$RPC_PORT"; then
      continue
    fi
    bench_start "$OUT/benchapp-$mode.log" "$BIN/densecable-benchapp" --grpc "127.0.0.1:$RPC_PORT" --http "" \
      --broadcast_url "http://127.0.0.1:$BCAST_PORT/_broadcast" --log_level warn
    APP_PID=$BENCH_LAST_PID
    if ! bench_wait_port "$RPC_PORT" "$APP_PID" 10; then
      bench_stop "$APP_PID" 10
      continue
    fi
    bench_start "$OUT/server-$mode.log" env ANYCABLE_DISABLE_TELEMETRY=true \
      "$BIN/densecable" --host 127.0.0.1 --port "$WS_PORT" --rpc_host "127.0.0.1:$RPC_PORT" \
      --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn "${flags[@]}"
    SERVER_PID=$BENCH_LAST_PID
    if bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$SERVER_PID" 20 &&
      bench_wait_port "$BCAST_PORT" "$SERVER_PID" 10; then
      return 0
    fi
    bench_stop "$SERVER_PID" 10
    bench_stop "$APP_PID" 10
  done
  bench_die "no free ports from $BASE for the $mode server (see $OUT)"
}

# run MODE SCENARIO [loadgen flags...]: one load generator run against a
# fresh server, labelled with the mode.
run() {
  local mode=$1 scenario=$2 client_flags=()
  shift 2
  [[ $mode == plain ]] || client_flags=(--deflate --deflate-commands)
  start "$mode"
  local args="$*"
  echo "deflate-takeover: $mode $scenario ${args:0:100}" >&2
  timeout 600 "$BIN/densecable-loadgen" "$scenario" --url "ws://127.0.0.1:$WS_PORT/cable" \
    --server-pid "$SERVER_PID" --goroutines none --label "$mode" --out "$RESULTS" --json --log-level warn \
    "${client_flags[@]}" "$@" >/dev/null
  bench_stop "$SERVER_PID" 40
  bench_stop "$APP_PID" 10
}

# A subscribe of about 33 KB: the identifier carries padding the app ignores.
PAD=$(head -c 24000 /dev/urandom | base64 -w0 | head -c 33000)
FULL='{"channel":"BenchmarkChannel","pad":"'$PAD'"}'

for round in $(seq 1 "$ROUNDS"); do
  for mode in plain off on; do
    run "$mode" idle --conns "$CONNS" --hold 10s --note "round $round"
  done
  for mode in off on; do
    run "$mode" idle --conns "$FULL_CONNS" --hold 10s --channel "$FULL" --note "full window, round $round"
  done
  for mode in off on; do
    run "$mode" broadcast --conns "$BCAST_CONNS" --padding 1000 --sample-size 300 --note "round $round"
  done
done

echo "results: $RESULTS" >&2
jq -r 'select(.scenario == "idle") | [.label, .note, .conns, .ok, .server_rss_mb, .kb_per_conn, .server_cpu_s] | @tsv' "$RESULTS"
jq -r 'select(.scenario == "broadcast") | [.label, .note, .conns, .delivered, .lost, .server_cpu_s,
  (if .delivered > 0 then (.server_cpu_s / .delivered * 1e6 | floor | tostring) + " us/delivery" else "-" end)] | @tsv' "$RESULTS"
