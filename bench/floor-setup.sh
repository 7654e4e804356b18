# bench/floor-setup.sh: what bench/floor.sh and bench/floor-perf.sh share,
# sourced by both after bench/lib.sh: ports, the output folder, the builds
# (densecable from $1 or the working tree, BASELINE, the floor program, the
# benchmark app and the load generator) and the running benchmark app.
# FLOOR_NAME names the temporary folders.
# shellcheck shell=bash disable=SC2034
WS_PORT="${BENCH_WS_PORT:-29280}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29290}"
RPC_PORT="${BENCH_RPC_PORT:-29251}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-$FLOOR_NAME.XXXXXX")}"
mkdir -p "$OUT"
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/densecable-${FLOOR_NAME}build.XXXXXX")
BENCH_RMDIRS+=("$BUILD")

if [[ $# -ge 1 ]]; then
  DC=$(bench_build_densecable "$1" "$BUILD" dc)
else
  go build -o bin/densecable ./cmd/densecable
  DC=bin/densecable
fi
if [[ -n ${BASELINE:-} ]]; then
  BASE=$(bench_build_densecable "$BASELINE" "$BUILD" baseline)
fi
go build -o bin/densecable-floor ./bench/floor
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

bench_start "$OUT/benchapp.log" bin/densecable-benchapp --grpc "127.0.0.1:$RPC_PORT" --http "" \
  --broadcast_url "http://127.0.0.1:$BCAST_PORT/_broadcast" --log_level warn
bench_wait_port "$RPC_PORT" "$BENCH_LAST_PID" || bench_die "benchmark app did not start, see $OUT/benchapp.log"
