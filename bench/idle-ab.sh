#!/usr/bin/env bash
# A/B of idle memory and connect CPU between two densecable builds, both in
# one run, alternating (the order flips every round), a fresh server for
# every measurement (docs/benchmarks.md, "Idle connections").
#
# Each round and build: (1) `densecable-loadgen idle` opens CONNS subscribed
# JSON clients; RSS is sampled as the issue's harness does: from 2 s after
# the server counts the last client, every 0.5 s for 6 s, no forced GC; the
# row's figure is the window's median RSS minus the RSS before the first
# client, per connection (KB = 1024 bytes). (2) `densecable-loadgen connect`
# opens CONNS clients as fast as it can; server CPU per connect + subscribe.
#
# Usage: bench/idle-ab.sh A B   (each a densecable binary or a git revision)
#   bench/idle-ab.sh main HEAD
# Environment: ROUNDS (3), CONNS (19000), ENV_A / ENV_B (extra environment
#   for A / B, e.g. ENV_B="GOGC=100"), BENCH_HOST (127.0.0.1; any loopback
#   address: one outside 127.0.0.1 keeps clear of other clients' ephemeral
#   ports), BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT (29280,
#   29290, 29251), BENCH_OUT (default: mktemp -d).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ $# -ne 2 ]]; then
  echo "usage: bench/idle-ab.sh A B   (each a densecable binary or a git revision)" >&2
  exit 2
fi
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-19000}"
HOST="${BENCH_HOST:-127.0.0.1}"
WS_PORT="${BENCH_WS_PORT:-29280}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-29290}"
RPC_PORT="${BENCH_RPC_PORT:-29251}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/densecable-idleab.XXXXXX")}"
mkdir -p "$OUT"
command -v curl >/dev/null || bench_die "curl is needed to read /metrics"
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/densecable-abbuild.XXXXXX")
BENCH_RMDIRS+=("$BUILD")
BIN_A=$(bench_build_densecable "$1" "$BUILD" a)
BIN_B=$(bench_build_densecable "$2" "$BUILD" b)
label() { if [[ -f $1 ]]; then basename "$1"; else echo "$1=$(git rev-parse --short "$1")"; fi; }
LABEL_A="$(label "$1")${ENV_A:+ $ENV_A}"
LABEL_B="$(label "$2")${ENV_B:+ $ENV_B}"
go build -o bin/densecable-benchapp ./bench/app
go build -o bin/densecable-loadgen ./bench/loadgen

bench_start "$OUT/benchapp.log" bin/densecable-benchapp --grpc "$HOST:$RPC_PORT" --http "" \
  --broadcast_url "http://$HOST:$BCAST_PORT/_broadcast" --log_level warn
APP=$BENCH_LAST_PID
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
bench_wait_for "$APP" 30 port_open "$RPC_PORT" || bench_die "benchmark app did not start, see $OUT/benchapp.log"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# RssAnon leaves out the binary's pages, which differ between builds and
# runs with what the page cache holds (a few MB: 0.2 KB per connection).
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
clients() { curl -fsS --max-time 2 "http://$HOST:$WS_PORT/metrics" 2>/dev/null | awk '$1 == "clients_num" || $1 ~ /_clients_num$/ {print $2; exit}'; }
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

start() { # binary env label round scenario; sets S
  local log="$OUT/$3-$4-$5.log"
  log=${log//[^A-Za-z0-9._\/-]/_}
  # shellcheck disable=SC2086 # $2 is a list of VAR=value words
  bench_start "$log" env ANYCABLE_DISABLE_TELEMETRY=true $2 "$1" --host "$HOST" --port "$WS_PORT" \
    --rpc_host "$HOST:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" \
    --metrics_http /metrics --log_level warn
  S=$BENCH_LAST_PID
  bench_wait_health "http://$HOST:$WS_PORT/health" "$S" || bench_die "$3 did not become healthy, see $log"
}

run_one() { # binary env label round
  local base abase samples=() asamples=() t0 kb akb
  start "$1" "$2" "$3" "$4" idle
  base=$(rss_kb "$S")
  abase=$(anon_kb "$S")
  timeout 300 bin/densecable-loadgen idle --conns "$CONNS" --hold 12s --url "ws://$HOST:$WS_PORT/cable" \
    --server-pid "$S" --label "$3 #$4" --out "$OUT/results.jsonl" --json --log-level warn >>"$OUT/loadgen.log" 2>&1 &
  local lg=$!
  t0=$SECONDS
  until [[ "$(clients)" == "$CONNS" ]]; do
    ((SECONDS - t0 < 240)) && kill -0 "$lg" 2>/dev/null || break
    sleep 0.1
  done
  sleep 2
  for _ in $(seq 12); do
    samples+=("$(rss_kb "$S")")
    asamples+=("$(anon_kb "$S")")
    sleep 0.5
  done
  wait "$lg" || echo "idle-ab: loadgen idle failed for $3 round $4, see $OUT/loadgen.log" >&2
  kb=$(printf '%s\n' "${samples[@]}" | median)
  akb=$(printf '%s\n' "${asamples[@]}" | median)
  echo "$3	$4	$(awk -v r="$kb" -v b="$base" -v n="$CONNS" 'BEGIN {printf "%.2f", (r - b) / n}')	$(awk -v r="$akb" -v b="$abase" -v n="$CONNS" 'BEGIN {printf "%.2f", (r - b) / n}')	$((base / 1024)) → $((kb / 1024))" >>"$OUT/idle.tsv"
  bench_stop "$S" 40

  start "$1" "$2" "$3" "$4" connect
  timeout 300 bin/densecable-loadgen connect --conns "$CONNS" --rate 0 --url "ws://$HOST:$WS_PORT/cable" \
    --server-pid "$S" --label "$3 #$4 connect" --out "$OUT/connect.jsonl" --json --log-level warn >>"$OUT/loadgen.log" 2>&1 ||
    echo "idle-ab: loadgen connect failed for $3 round $4, see $OUT/loadgen.log" >&2
  bench_stop "$S" 40
  echo "idle-ab: round $4, $3 done" >&2
}

for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then
    run_one "$BIN_A" "${ENV_A:-}" "$LABEL_A" "$round"
    run_one "$BIN_B" "${ENV_B:-}" "$LABEL_B" "$round"
  else
    run_one "$BIN_B" "${ENV_B:-}" "$LABEL_B" "$round"
    run_one "$BIN_A" "${ENV_A:-}" "$LABEL_A" "$round"
  fi
done

echo "A = $LABEL_A, B = $LABEL_B; $CONNS JSON clients; results in $OUT ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "label	round	KB/conn RSS	KB/conn RssAnon	RSS MB idle → with clients (2-8 s window median)"
cat "$OUT/idle.tsv"
echo "server CPU per connect + subscribe (µs), per round:"
if command -v jq >/dev/null; then
  jq -r 'select(.ok > 0) | "\(.label)\t\(.server_cpu_s * 1e6 / .ok | floor)\tok \(.ok)"' "$OUT/connect.jsonl"
fi
for l in "$LABEL_A" "$LABEL_B"; do
  kb=$(awk -F'\t' -v l="$l" '$1 == l {print $3}' "$OUT/idle.tsv" | median)
  akb=$(awk -F'\t' -v l="$l" '$1 == l {print $4}' "$OUT/idle.tsv" | median)
  us=""
  if command -v jq >/dev/null; then
    us=$(jq -r --arg l "$l" 'select(.ok > 0 and (.label | startswith($l + " #"))) | .server_cpu_s * 1e6 / .ok' "$OUT/connect.jsonl" | median)
  fi
  echo "median $l: ${kb} KB per idle connection (RssAnon ${akb}), ${us%.*} µs server CPU per connect + subscribe"
done
