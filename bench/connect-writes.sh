#!/usr/bin/env bash
# System calls of a connect storm, per connection: CONNS JSON clients connect
# and subscribe as fast as the load generator can (a fresh server per run,
# the benchmark app over gRPC), and the script prints, per connection, the
# server's read and write system calls (/proc/PID/io syscr, syscw), the
# data segments the server sent on its RPC connection (`ss -ti`
# data_segs_out: with TCP_NODELAY one per write that carried requests), the
# benchmark app's reads and writes, and the server's CPU. A and B alternate,
# the order flipping every round.
#
# Usage: bench/connect-writes.sh A B   (each a densecable binary or a git revision)
# Environment: ROUNDS (3), CONNS (5000), BENCH_HOST (127.0.0.1),
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29480, 29490, 29451).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ $# -ne 2 ]]; then
  echo "usage: bench/connect-writes.sh A B   (each a densecable binary or a git revision)" >&2
  exit 2
fi
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-5000}"
HOST="${BENCH_HOST:-127.0.0.1}"
WS_PORT="${BENCH_WS_PORT:-29480}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29490}"
RPC_PORT="${BENCH_RPC_PORT:-29451}"
command -v ss >/dev/null || bench_die "ss (iproute2) is needed for the RPC socket's counters"
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/densecable-cwbuild.XXXXXX")
BENCH_RMDIRS+=("$BUILD")
BIN_A=$(bench_build_densecable "$1" "$BUILD" a)
BIN_B=$(bench_build_densecable "$2" "$BUILD" b)
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/densecable-cw.XXXXXX")

bench_start "$LOGS/benchapp.log" bin/densecable-benchapp --grpc "$HOST:$RPC_PORT" --http "" \
  --broadcast_url "http://$HOST:$BCAST_PORT/_broadcast" --log_level warn
APP=$BENCH_LAST_PID
host_port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
bench_wait_for "$APP" 30 host_port_open "$RPC_PORT" || bench_die "benchmark app did not start, see $LOGS/benchapp.log"

io() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/io"; }
per() { awk -v a="$1" -v b="$2" -v n="$CONNS" 'BEGIN {printf "%.2f", (b - a) / n}'; }

run_one() { # binary label round
  local s ar aw dr dw cpu segs
  bench_start "$LOGS/$2-$3.log" "$1" --host "$HOST" --port "$WS_PORT" --rpc_host "$HOST:$RPC_PORT" \
    --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn
  s=$BENCH_LAST_PID
  bench_wait_health "http://$HOST:$WS_PORT/health" "$s" || bench_die "$2 did not become healthy, see $LOGS"
  ar=$(io "$APP" syscr) aw=$(io "$APP" syscw) dr=$(io "$s" syscr) dw=$(io "$s" syscw) cpu=$(bench_cpu_ticks "$s")
  bin/densecable-loadgen connect --conns "$CONNS" --url "ws://$HOST:$WS_PORT/cable" --log-level warn \
    >>"$LOGS/loadgen.log" 2>&1 || echo "connect-writes: loadgen failed for $2 round $3, see $LOGS/loadgen.log" >&2
  # The server's end of its RPC connection: the socket whose peer is the app.
  segs=$(ss -tinH "dst $HOST:$RPC_PORT" | grep -o 'data_segs_out:[0-9]*' | cut -d: -f2 | awk '{s += $1} END {print s + 0}')
  printf '%s\t%s\tserver reads %s writes %s\tRPC segments %s\tapp reads %s writes %s\tCPU µs %s\n' "$2" "$3" \
    "$(per "$dr" "$(io "$s" syscr)")" "$(per "$dw" "$(io "$s" syscw)")" "$(per 0 "$segs")" \
    "$(per "$ar" "$(io "$APP" syscr)")" "$(per "$aw" "$(io "$APP" syscw)")" \
    "$(awk -v a="$cpu" -v b="$(bench_cpu_ticks "$s")" -v t="$BENCH_CLK_TCK" -v n="$CONNS" 'BEGIN {printf "%d", (b - a) / t * 1e6 / n}')"
  bench_stop "$s" 40
}

echo "per connection (CONNS=$CONNS), A = $1, B = $2:"
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then
    run_one "$BIN_A" A "$round"
    run_one "$BIN_B" B "$round"
  else
    run_one "$BIN_B" B "$round"
    run_one "$BIN_A" A "$round"
  fi
done
echo "($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); logs in $LOGS)"
