#!/usr/bin/env bash
# `make bench-compare`: densecable against anycable-go the way users compare
# them: websocket-bench (https://github.com/anycable/websocket-bench) drives
# both servers, in the same run, alternating, behind the same benchmark RPC
# application (bench/app, gRPC BenchmarkChannel). A fresh server for every
# measurement; the order of the two servers alternates between rounds.
#
# Scenarios (per round, per encoding, per server):
#   connect    websocket-bench connect: CONNECT_CONNS clients (welcomed and
#              subscribed), held while the server's RSS and CPU are read.
#              Reports connections/s, websocket-bench's p50/p95 connect time,
#              RSS above the idle process per connection, server CPU.
#   broadcast  websocket-bench broadcast: BROADCAST_CONNS subscribers,
#              BROADCAST_SAMPLE broadcasts (4 in flight, websocket-bench's
#              default). Reports websocket-bench's p50/p95 round trip (send ->
#              broadcastResult), server CPU for the whole run (connecting the
#              subscribers included), peak RSS, broadcasts missing at the clients.
#
# Required environment (no defaults: nobody's path is assumed):
#   ANYCABLE_GO       anycable-go binary
#   WEBSOCKET_BENCH   websocket-bench binary
# Optional:
#   DENSECABLE        densecable binary (default: bin/densecable, built from this clone)
#   ROUNDS            rounds (default 3)
#   CONNECT_CONNS     default 15000 (each process may open 20,000 files here)
#   BROADCAST_CONNS   default 5000
#   BROADCAST_SAMPLE  default 100
#   WAIT_BROADCASTS   seconds websocket-bench waits after the last
#                     broadcastResult before counting receipts (default 20;
#                     its own default, 2, is too short for 500,000 messages
#                     on a loaded machine and counts late receipts as missing)
#   ENCODINGS         default "json". anycable-go (open source) speaks only
#                     JSON; for msgpack and protobuf only densecable is run,
#                     and only the broadcast scenario: websocket-bench connect
#                     has no --sub-protocol, so it cannot ask for them.
#   BENCH_OUT         directory for results.tsv and logs (default: mktemp -d)
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29380, 29390, 29351)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

BUILD_HELP='Build them outside this repository, for example:
  git clone https://github.com/anycable/anycable /tmp/anycable
  (cd /tmp/anycable && go build -o /tmp/bin/anycable-go ./cmd/anycable-go)
  git clone https://github.com/anycable/websocket-bench /tmp/websocket-bench
  (cd /tmp/websocket-bench && go get golang.org/x/sys@latest golang.org/x/net@latest &&
     go mod tidy && go build -o /tmp/bin/websocket-bench .)
then: ANYCABLE_GO=/tmp/bin/anycable-go WEBSOCKET_BENCH=/tmp/bin/websocket-bench make bench-compare'
bench_need_bin ANYCABLE_GO "the anycable-go server binary (reference)" "$BUILD_HELP"
bench_need_bin WEBSOCKET_BENCH "the websocket-bench binary" "$BUILD_HELP"
command -v curl >/dev/null || bench_die "curl is needed to read the servers' /metrics"
command -v timeout >/dev/null || bench_die "timeout (coreutils) is needed to bound each run"

ROUNDS="${ROUNDS:-3}"
CONNECT_CONNS="${CONNECT_CONNS:-15000}"
BROADCAST_CONNS="${BROADCAST_CONNS:-5000}"
BROADCAST_SAMPLE="${BROADCAST_SAMPLE:-100}"
WAIT_BROADCASTS="${WAIT_BROADCASTS:-20}"
ENCODINGS="${ENCODINGS:-json}"
WS_PORT="${BENCH_WS_PORT:-29380}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29390}"
RPC_PORT="${BENCH_RPC_PORT:-29351}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-compare.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"

nofile=$(ulimit -n)
for n in "$CONNECT_CONNS" "$BROADCAST_CONNS"; do
  if ((n + 100 > nofile)); then
    bench_die "$n connections need more than the open-file limit ($nofile): lower CONNECT_CONNS/BROADCAST_CONNS"
  fi
done

if [[ -z ${DENSECABLE:-} ]]; then
  go build -o bin/densecable ./cmd/densecable
  DENSECABLE=bin/densecable
fi
bench_need_bin DENSECABLE "the densecable binary" "Run make build, or unset DENSECABLE."
go build -o bin/densecable-benchapp ./bench/app
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"
APP_PID=$BENCH_LAST_PID

printf 'round\tscenario\tencoding\tserver\tclients\texpected\tseconds\trate\tp50_ms\tp95_ms\trss_idle_kb\trss_kb\tkb_per_conn\tcpu_s\tpeak_rss_kb\tmissing\tslow_clients\n' >"$RESULTS"

RUN=0
# Each websocket-bench run connects from its own loopback source address, so
# the TIME_WAIT sockets of one run never take the ports of the next.
next_src() { echo "127.0.1.$((RUN % 250 + 1))"; }

start_server() { # name: sets SERVER_PID
  local name=$1 bin
  case $name in
    densecable) bin=$DENSECABLE ;;
    anycable-go) bin=$ANYCABLE_GO ;;
  esac
  RUN=$((RUN + 1))
  SERVER_LOG="$OUT/$RUN-$name.log"
  bench_start "$SERVER_LOG" env ANYCABLE_DISABLE_TELEMETRY=true "$bin" --host 127.0.0.1 --port "$WS_PORT" \
    --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" \
    --metrics_http /metrics --log_level warn
  SERVER_PID=$BENCH_LAST_PID
  if ! bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$SERVER_PID" ||
    ! bench_wait_port "$BCAST_PORT" "$SERVER_PID"; then
    bench_die "$name did not become healthy, see $SERVER_LOG"
  fi
}

# wsb_run OUTFILE STDIN SECONDS ARGS...: run websocket-bench in the
# background until its result line ("clients: ...") appears; SAMPLE_* hold
# the server's figures at that moment. With STDIN a fifo, websocket-bench
# (-i) waits there until release_wsb.
wsb_run() {
  local out=$1 in=$2 secs=$3
  shift 3
  local t0 deadline
  t0=$(date +%s.%N)
  deadline=$((SECONDS + secs))
  timeout "$secs" "$WEBSOCKET_BENCH" "$@" <"$in" >"$out" 2>"$out.err" &
  WSB_PID=$!
  BENCH_PIDS+=("$WSB_PID")
  if [[ -p $in ]]; then exec 3>"$in"; fi
  until grep -qs 'clients:' "$out"; do
    if ! kill -0 "$WSB_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      grep -q 'clients:' "$out" && break
      echo "websocket-bench $1 failed against PID $SERVER_PID, see $out.err" >&2
      SAMPLE_OK=0
      return 0
    fi
    sleep 0.02
  done
  SAMPLE_OK=1
  SAMPLE_SECONDS=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.3f", $1 - $2}')
  SAMPLE_RSS=$(bench_rss_kb "$SERVER_PID")
  SAMPLE_HWM=$(bench_hwm_kb "$SERVER_PID")
  SAMPLE_CPU=$(bench_cpu_ticks "$SERVER_PID")
  # Clients the server cut off as too slow: disconnected_slow_clients_total
  # (both servers) plus anycable-go's write timeouts (timeout_server_msg_total).
  SAMPLE_SLOW=$(curl -fsS --max-time 5 "http://127.0.0.1:$WS_PORT/metrics" 2>/dev/null |
    awk '$1 ~ /(disconnected_slow_clients|timeout_server_msg)_total$/ {n += $2; found = 1}
      END {if (found) printf "%d\n", n; else print "-"}')
}

release_wsb() {
  if [[ -p $1 ]]; then
    # In a subshell: if websocket-bench is gone, SIGPIPE ends only that.
    (echo >&3) 2>/dev/null || true
    exec 3>&-
  fi
  bench_wait_exit "$WSB_PID" 30 || kill -TERM "$WSB_PID" 2>/dev/null || true
  wait "$WSB_PID" 2>/dev/null || true
  bench_forget "$WSB_PID"
}

# field NAME FILE: the integer after "NAME: " in websocket-bench's result line.
field() { sed -n "s/.*$1: *\([0-9]*\).*/\1/p" "$2" | tail -1; }

measure_connect() { # round encoding server
  local round=$1 enc=$2 name=$3 rss0 cpu0 out fifo clients p50 p95 cpu rate kbpc
  start_server "$name"
  rss0=$(bench_rss_kb "$SERVER_PID")
  cpu0=$(bench_cpu_ticks "$SERVER_PID")
  out="$OUT/$RUN-$name-connect.out"
  fifo="$OUT/$RUN.fifo"
  mkfifo "$fifo"
  echo "round $round: $name connect $CONNECT_CONNS ($enc)" >&2
  wsb_run "$out" "$fifo" 600 connect "ws://127.0.0.1:$WS_PORT/cable" --server-type actioncable-connect \
    --action-cable-encoding "$enc" --step-size "$CONNECT_CONNS" --total-steps 1 -l "$(next_src)" -i
  if ((SAMPLE_OK)); then
    clients=$(field clients "$out")
    p95=$(field 95per-rtt "$out")
    p50=$(field median-rtt "$out")
    cpu=$(awk -v a="$cpu0" -v b="$SAMPLE_CPU" -v t="$BENCH_CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}')
    rate=$(awk -v n="$clients" -v s="$SAMPLE_SECONDS" 'BEGIN {printf "%.0f", n / s}')
    kbpc=$(awk -v n="$clients" -v a="$rss0" -v b="$SAMPLE_RSS" 'BEGIN {printf "%.2f", n ? (b - a) / n : 0}')
    printf '%s\tconnect\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\n' "$round" "$enc" "$name" \
      "$clients" "$CONNECT_CONNS" "$SAMPLE_SECONDS" "$rate" "$p50" "$p95" "$rss0" "$SAMPLE_RSS" "$kbpc" "$cpu" "$SAMPLE_HWM" "$SAMPLE_SLOW" >>"$RESULTS"
  fi
  release_wsb "$fifo"
  rm -f "$fifo"
  bench_stop "$SERVER_PID" 30
}

measure_broadcast() { # round encoding server
  local round=$1 enc=$2 name=$3 rss0 cpu0 out clients p50 p95 cpu missing exp got proto=()
  # Binary encodings are negotiated by the WebSocket sub-protocol.
  [[ $enc == json ]] || proto=(--sub-protocol "actioncable-v1-$enc")
  start_server "$name"
  rss0=$(bench_rss_kb "$SERVER_PID")
  cpu0=$(bench_cpu_ticks "$SERVER_PID")
  out="$OUT/$RUN-$name-broadcast.out"
  echo "round $round: $name broadcast to $BROADCAST_CONNS, $BROADCAST_SAMPLE broadcasts ($enc)" >&2
  wsb_run "$out" /dev/null 600 broadcast "ws://127.0.0.1:$WS_PORT/cable" --server-type actioncable \
    --action-cable-encoding "$enc" --step-size "$BROADCAST_CONNS" --total-steps 1 \
    --sample-size "$BROADCAST_SAMPLE" --wait-broadcasts "$WAIT_BROADCASTS" -l "$(next_src)" "${proto[@]}"
  release_wsb /dev/null
  if ((SAMPLE_OK)); then
    clients=$(field clients "$out")
    p95=$(field 95per-rtt "$out")
    p50=$(field median-rtt "$out")
    cpu=$(awk -v a="$cpu0" -v b="$SAMPLE_CPU" -v t="$BENCH_CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / t}')
    # websocket-bench prints this line only when broadcasts are missing.
    read -r exp got < <(sed -n 's/.*Missing received broadcasts: expected \([0-9]*\), got \([0-9]*\).*/\1 \2/p' "$out") || true
    missing=$(( ${exp:-0} - ${got:-0} ))
    printf '%s\tbroadcast\t%s\t%s\t%s\t%s\t%s\t-\t%s\t%s\t%s\t%s\t-\t%s\t%s\t%s\t%s\n' "$round" "$enc" "$name" \
      "$clients" "$BROADCAST_CONNS" "$SAMPLE_SECONDS" "$p50" "$p95" "$rss0" "$SAMPLE_RSS" "$cpu" "$SAMPLE_HWM" "$missing" "$SAMPLE_SLOW" >>"$RESULTS"
  fi
  bench_stop "$SERVER_PID" 30
}

servers_for() { # round encoding: the servers in this round's order
  if [[ $2 != json ]]; then
    echo densecable # anycable-go (open source) has no msgpack/protobuf
  elif (($1 % 2)); then
    echo densecable anycable-go
  else
    echo anycable-go densecable
  fi
}

START=$SECONDS
for round in $(seq 1 "$ROUNDS"); do
  for enc in $ENCODINGS; do
    if [[ $enc == json ]]; then
      for name in $(servers_for "$round" "$enc"); do measure_connect "$round" "$enc" "$name"; done
    fi
    for name in $(servers_for "$round" "$enc"); do measure_broadcast "$round" "$enc" "$name"; done
  done
done

echo
echo "densecable vs anycable-go, websocket-bench, $ROUNDS rounds ($((SECONDS - START)) s); results in $OUT"
echo "densecable: $DENSECABLE ($("$DENSECABLE" --version 2>/dev/null | head -1 || true))"
echo "anycable-go: $ANYCABLE_GO ($("$ANYCABLE_GO" --version 2>/dev/null | head -1 || true))"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), open-file limit $nofile"
bench/compare-summary.awk "$RESULTS"
