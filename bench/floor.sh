#!/usr/bin/env bash
# densecable against the one-write floor (bench/floor: one write(2) of a
# prebuilt frame per delivery, nothing else), alternating in one run, the
# same load generator and subscribers (docs/benchmarks.md, issue 16):
#   one    broadcasts paced (--broadcast-rate) so that no two messages for a
#          socket are ever pending together: one write per message for both;
#   burst  --concurrent broadcasts in flight: densecable's gate gathers the
#          messages waiting for a socket into one writev, the floor still
#          writes once per message.
# Reports server CPU per delivery (µs) per round, the medians and the ratio
# densecable / floor (target: ≤ 1.1 in "one", < 1 in "burst"). densecable
# runs with pings off (the floor sends none) and pays, besides the writes,
# one gRPC perform and one HTTP broadcast per message (5,000 deliveries).
#
# Usage: bench/floor.sh [DENSECABLE]   (a binary or git revision; default:
#   the working tree). Environment: ROUNDS (3), CONNS (5000),
#   ONE_SAMPLE (40), ONE_RATE (5 broadcasts/s), BURST_SAMPLE (256),
#   BURST_CONCURRENT (64), BENCH_OUT (default mktemp -d), BASELINE (a
#   second densecable, binary or git revision, run in every round too:
#   old against new in the same run),
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29280, 29290, 29251).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

command -v jq >/dev/null || bench_die "jq is needed to summarise the results (apt-get install jq)"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-5000}"
ONE_SAMPLE="${ONE_SAMPLE:-40}"
ONE_RATE="${ONE_RATE:-5}"
BURST_SAMPLE="${BURST_SAMPLE:-256}"
BURST_CONCURRENT="${BURST_CONCURRENT:-64}"
FLOOR_NAME=floor
# shellcheck source=bench/floor-setup.sh
source bench/floor-setup.sh "$@"

load() { # server-pid label case round extra-flags...
  local pid=$1 label=$2 kase=$3 round=$4
  shift 4
  timeout 600 bin/densecable-loadgen broadcast --url "ws://127.0.0.1:$WS_PORT/cable" --server-pid "$pid" \
    --label "$label $kase $round" --out "$OUT/results.jsonl" --json --log-level warn \
    --steps "$CONNS" "$@" >>"$OUT/loadgen.log" 2>&1 ||
    echo "floor: loadgen failed for $label $kase round $round, see $OUT/loadgen.log" >&2
}

run_one() { # label round
  local s
  if [[ $1 == floor ]]; then
    bench_start "$OUT/floor-$2.log" bin/densecable-floor --addr "127.0.0.1:$WS_PORT"
  else
    local bin=$DC
    [[ $1 == baseline ]] && bin=$BASE
    bench_start "$OUT/$1-$2.log" "$bin" --host 127.0.0.1 --port "$WS_PORT" \
      --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn \
      --ping_interval 3600 # the floor sends no pings: count deliveries only
  fi
  s=$BENCH_LAST_PID
  bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$s" || bench_die "$1 did not become healthy, see $OUT"
  if [[ $1 != floor ]]; then
    bench_wait_port "$BCAST_PORT" "$s" || bench_die "$1: no broadcast port, see $OUT"
  fi
  echo "floor: round $2, $1" >&2
  load "$s" "$1" one "$2" --sample-size "$ONE_SAMPLE" --broadcast-rate "$ONE_RATE"
  load "$s" "$1" burst "$2" --sample-size "$BURST_SAMPLE" --concurrent "$BURST_CONCURRENT"
  bench_stop "$s" 40
}

for round in $(seq 1 "$ROUNDS"); do
  floor_round_servers "$round" # the order flips each round
  for srv in "${FLOOR_SERVERS[@]}"; do run_one "$srv" "$round"; done
done

echo "results in $OUT ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
bin/densecable-loadgen report "$OUT/results.jsonl"
# label "server case round" → one line per row: server case round µs/delivery lost
jq -r 'select(.delivered > 0) | (.label | split(" ")) as $l
  | [$l[0], $l[1], $l[2], (.server_cpu_s * 1e6 / .delivered), .lost] | @tsv' "$OUT/results.jsonl" |
  awk -F'\t' -f bench/floor-summary.awk
