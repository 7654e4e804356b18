#!/usr/bin/env bash
# Where the paced "one" case of bench/floor.sh spends its CPU, per server,
# with perf: densecable, the one-write floor and (BASELINE=) a second
# densecable, alternating (the order flipping each round), a fresh server
# each time. The load: `densecable-loadgen broadcast --steps CONNS
# --sample-size 60 --broadcast-rate 5`; once CONNS connections are
# established and 3 s passed, `perf record -F 999 -g -p <server> -- sleep 8`
# (about 40 broadcasts, 200,000 deliveries; one sample ≈ 5 ns per delivery).
# Prints per server and round the samples in the delivery loop (kernel /
# Go's syscall glue / the server's own code, bench/floor-perf.awk), outside
# it, and the server CPU per delivery from /proc over the whole sample.
# A round whose sample took much longer than 12 s was starved by other
# load: its publications met in the gate and took the batch path (Queue,
# Flush); leave it out.
#
# Usage: bench/floor-perf.sh [DENSECABLE]   (a binary or git revision;
#   default: the working tree). Environment: ROUNDS (2), CONNS (5000),
#   BASELINE, BENCH_OUT (default mktemp -d), BENCH_WS_PORT,
#   BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29280, 29290, 29251).
# Needs perf (linux-tools) and kernel.perf_event_paranoid ≤ 1 or root.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

command -v perf >/dev/null || bench_die "perf is needed (apt-get install linux-tools-generic or linux-perf)"
command -v jq >/dev/null || bench_die "jq is needed to read the results"
command -v ss >/dev/null || bench_die "ss (iproute2) is needed to count connections"
ROUNDS="${ROUNDS:-2}"
CONNS="${CONNS:-5000}"
FLOOR_NAME=floorperf
# shellcheck source=bench/floor-setup.sh
source bench/floor-setup.sh "$@"

established() { ss -Htn state established "( sport = :$WS_PORT )" | wc -l; }

run_one() { # label round
  local s lg label="$1 $2" i
  if [[ $1 == floor ]]; then
    bench_start "$OUT/floor-$2.log" bin/densecable-floor --addr "127.0.0.1:$WS_PORT"
  else
    local bin=$DC
    [[ $1 == baseline ]] && bin=$BASE
    bench_start "$OUT/$1-$2.log" "$bin" --host 127.0.0.1 --port "$WS_PORT" \
      --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" --log_level warn \
      --ping_interval 3600
  fi
  s=$BENCH_LAST_PID
  bench_wait_health "http://127.0.0.1:$WS_PORT/health" "$s" || bench_die "$1 did not become healthy, see $OUT"
  [[ $1 == floor ]] || bench_wait_port "$BCAST_PORT" "$s" || bench_die "$1: no broadcast port, see $OUT"
  timeout 600 bin/densecable-loadgen broadcast --url "ws://127.0.0.1:$WS_PORT/cable" --server-pid "$s" \
    --label "$label" --out "$OUT/results.jsonl" --json --log-level warn \
    --steps "$CONNS" --sample-size 60 --broadcast-rate 5 --settle 2s >>"$OUT/loadgen.log" 2>&1 &
  lg=$!
  for ((i = 0; i < 1200; i++)); do # up to 4 minutes for the connections
    (($(established) >= CONNS)) && break
    kill -0 "$lg" 2>/dev/null || break
    sleep 0.2
  done
  sleep 3
  perf record -F 999 -g -o "$OUT/perf-$1-$2.data" -p "$s" -- sleep 8 >"$OUT/perf-$1-$2.log" 2>&1 ||
    echo "floor-perf: perf failed for $label, see $OUT/perf-$1-$2.log" >&2
  wait "$lg" || echo "floor-perf: loadgen failed for $label, see $OUT/loadgen.log" >&2
  bench_stop "$s" 40
  echo "== $label ($(jq -r --arg l "$label" 'select(.label == $l) |
    "\(.server_cpu_s * 1e6 / .delivered * 100 | round / 100) µs/delivery from /proc, sample \(.fanout_s | round) s, lost \(.lost)"' "$OUT/results.jsonl"))"
  perf script -i "$OUT/perf-$1-$2.data" -F comm,tid,ip,sym,dso 2>/dev/null | awk -f bench/floor-perf.awk
}

for round in $(seq 1 "$ROUNDS"); do
  floor_round_servers "$round" # the order flips each round
  for srv in "${FLOOR_SERVERS[@]}"; do run_one "$srv" "$round"; done
done
echo "results in $OUT ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
