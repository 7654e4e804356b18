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

bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"

# floor_round_servers ROUND: the servers of a round in the order they run
# (densecable, floor, and baseline when BASELINE is set), reversed every
# second round; in the array FLOOR_SERVERS.
floor_round_servers() {
  FLOOR_SERVERS=(densecable floor)
  [[ -n ${BASELINE:-} ]] && FLOOR_SERVERS+=(baseline)
  if (($1 % 2 == 0)); then
    local i j t
    for ((i = 0, j = ${#FLOOR_SERVERS[@]} - 1; i < j; i++, j--)); do
      t=${FLOOR_SERVERS[i]}
      FLOOR_SERVERS[i]=${FLOOR_SERVERS[j]}
      FLOOR_SERVERS[j]=$t
    done
  fi
}
