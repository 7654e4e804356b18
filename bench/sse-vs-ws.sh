#!/usr/bin/env bash
# bench/sse-vs-ws.sh: idle SSE streams against idle WebSocket clients, in
# alternating rounds, each on a freshly started densecable, both opened with
# the same number of requests in flight (SSEWS_INFLIGHT, default 100). Per
# round and client: RSS above the idle process 5 s after the last
# subscription, and its anonymous part (RssAnon: without the pages of the
# binary's code that the round's code paths touched, a fixed 1.1-1.5 MB
# that varies from round to round), the Go runtime's heap goal at that moment (NextGC, set by the
# last collection of the ramp), the garbage collections the ramp ran and the
# bytes allocated per connect (from DENSECABLE_PPROF_ADDR's memory
# statistics), and the live heap per client: the heap left after a forced
# collection, against the one before the first client (collected too). It
# shows why the two RSS figures differ when their live heaps do not: the
# RSS follows the ramp's last heap goal, which grows with the garbage each
# connect makes (docs/benchmarks.md, "SSE against WebSocket"). The summary
# gives the median SSE ÷ WebSocket ratio with its 95 % confidence interval
# (order statistics of the per-round ratios, from the binomial
# distribution: no assumption about the noise's shape).
#
#   bench/sse-vs-ws.sh                      # 4 rounds of 10,000 each
#   SSEWS_ROUNDS=2 SSEWS_CONNS=3000 bench/sse-vs-ws.sh
# Ports: SSEWS_PORT, SSEWS_BROADCAST_PORT, SSEWS_RPC_PORT, SSEWS_PPROF_PORT
# (21580, 21590, 21551, 21600).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CONNS="${SSEWS_CONNS:-10000}"
ROUNDS="${SSEWS_ROUNDS:-4}"
INFLIGHT="${SSEWS_INFLIGHT:-100}"
PORT="${SSEWS_PORT:-21580}" BCAST_PORT="${SSEWS_BROADCAST_PORT:-21590}"
RPC_PORT="${SSEWS_RPC_PORT:-21551}" PPROF_PORT="${SSEWS_PPROF_PORT:-21600}"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/densecable-ssews.XXXXXX")

bench_open_files $((CONNS + 1000)) "SSEWS_CONNS=$CONNS"
command -v curl >/dev/null || bench_die "curl is needed (the runtime's memory statistics)"

for t in densecable:cmd/densecable densecable-benchapp:bench/app densecable-loadgen:bench/loadgen \
  densecable-sseload:bench/sseload; do
  [[ -x bin/${t%%:*} ]] || go build -o "bin/${t%%:*}" "./${t#*:}"
done
bench_check_ports "$PORT" "$BCAST_PORT" "$RPC_PORT" "$PPROF_PORT"
bench_start_benchapp "$OUT/benchapp.log" "$RPC_PORT" "$BCAST_PORT"

# memstats FILE: the runtime's memory statistics, "Name value" lines.
memstats() {
  curl -fsS "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap?debug=1" |
    awk '/^# (TotalAlloc|NextGC|NumGC|HeapAlloc) = / {print $2, $4}' >"$1"
}
# collect: a full collection (the profile it returns is not needed).
collect() { curl -fsS -o /dev/null "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap?gc=1"; }
stat() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }

round() {
  local row=$1 holder rss0 rss1 anon0 anon1
  bench_start_server "$OUT/server-$row.log" "$PORT" "$BCAST_PORT" env ANYCABLE_DISABLE_TELEMETRY=true \
    DENSECABLE_PPROF_ADDR="127.0.0.1:$PPROF_PORT" bin/densecable --host 127.0.0.1 --port "$PORT" \
    --rpc_host "127.0.0.1:$RPC_PORT" --public_streams --sse --broadcast_adapter http \
    --http_broadcast_port "$BCAST_PORT" --metrics_http /metrics --max-conn 0 --ping_interval 60 --log_level warn
  bench_wait_port "$PPROF_PORT" "$SERVER_PID" || bench_die "no profiler port, see $OUT/server-$row.log"
  collect
  memstats "$OUT/before"
  rss0=$(bench_rss_kb "$SERVER_PID") anon0=$(anon_kb "$SERVER_PID")
  if [[ $row == sse ]]; then
    bench_start "$OUT/tool-$row.log" bin/densecable-sseload --url "http://127.0.0.1:$PORT" \
      --server-pid "$SERVER_PID" --transport sse --stream bench --conns "$CONNS" --parallel "$INFLIGHT" \
      --settle 120s --timeout 180s
  else
    bench_start "$OUT/tool-$row.log" bin/densecable-loadgen idle --encoding json --url "ws://127.0.0.1:$PORT/cable" \
      --channel '{"channel":"$pubsub","stream_name":"bench"}' --conns "$CONNS" --max-pending "$INFLIGHT" \
      --hold 120s --label ws --log-level warn
  fi
  holder=$BENCH_LAST_PID
  subscribed() { [[ $(bench_metric "$PORT" clients_num) -ge $CONNS ]]; }
  bench_wait_for "$holder" 300 subscribed || bench_die "$CONNS $row clients did not connect, see $OUT/tool-$row.log"
  sleep 5 # the same settle as bench/protocols.sh's idle rows
  rss1=$(bench_rss_kb "$SERVER_PID") anon1=$(anon_kb "$SERVER_PID")
  memstats "$OUT/after"
  collect
  memstats "$OUT/live"
  awk -v row="$row" -v n="$CONNS" -v r0="$rss0" -v r1="$rss1" -v an0="$anon0" -v an1="$anon1" \
    -v a0="$(stat "$OUT/before" TotalAlloc)" -v a1="$(stat "$OUT/after" TotalAlloc)" \
    -v g0="$(stat "$OUT/before" NumGC)" -v g1="$(stat "$OUT/after" NumGC)" \
    -v goal="$(stat "$OUT/after" NextGC)" \
    -v l0="$(stat "$OUT/before" HeapAlloc)" -v l1="$(stat "$OUT/live" HeapAlloc)" \
    'BEGIN { printf "%s\t%.0f\t%.0f\t%.0f\t%d\t%.0f\t%.0f\n", row, (r1 - r0) * 1024 / n, (an1 - an0) * 1024 / n, goal / n, g1 - g0, (a1 - a0) / n, (l1 - l0) / n }' |
    tee -a "$OUT/rounds.tsv"
  bench_stop "$holder" 20
  bench_stop "$SERVER_PID" 40
}

echo "sse-vs-ws: $ROUNDS rounds of $CONNS idle clients each, $INFLIGHT opening at once; results in $OUT" >&2
printf 'row\tRSS B/client\tanonymous B/client\theap goal B/client\tGCs in the ramp\tallocated B/connect\tlive heap B/client\n'
for _ in $(seq "$ROUNDS"); do
  round ws
  round sse
done
# Medians per row; the per-round SSE ÷ WebSocket ratios (RSS, its anonymous
# part, the live heap) with their median, its 95 % confidence interval (the
# j-th smallest and largest ratios, j the largest with P(Binomial(n, ½) < j)
# ≤ 2.5 %; with fewer than 6 rounds there is none) and how many are ≤ 1.
awk -F'\t' '
  { k = ++n[$1]; for (c = 2; c <= 7; c++) v[$1, c, k] = $c }
  function sorted(row, c, k, x,   i, j, t) {
    for (i = 1; i <= k; i++) x[i] = v[row, c, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
  }
  function median(row, c, k,   x) {
    sorted(row, c, k, x)
    return k % 2 ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2
  }
  # ci_rank(k): the order statistic that bounds the median at 95 %.
  function ci_rank(k,   j, p, cdf, i) {
    p = 0.5 ^ k; cdf = 0; j = 0
    for (i = 0; i < k; i++) {
      if (cdf + p > 0.025) break
      cdf += p; j = i + 1
      p = p * (k - i) / (i + 1)
    }
    return j
  }
  END {
    k = n["sse"]
    for (r = 1; r <= 2; r++) {
      row = r == 1 ? "ws" : "sse"
      printf "median %s", row
      for (c = 2; c <= 7; c++) printf "\t%.0f", median(row, c, n[row])
      printf "\n"
    }
    split("2 3 7", cols, " ")
    name[2] = "RSS"; name[3] = "anonymous RSS"; name[7] = "live heap"
    j = ci_rank(k)
    for (ci = 1; ci <= 3; ci++) {
      c = cols[ci]; below = 0
      for (i = 1; i <= k; i++) { v["x", c, i] = v["sse", c, i] / v["ws", c, i]; if (v["x", c, i] <= 1) below++ }
      printf "SSE ÷ WebSocket %s, per round:", name[c]
      for (i = 1; i <= k; i++) printf " %.3f", v["x", c, i]
      printf "; median %.3f", median("x", c, k)
      if (j > 0) { sorted("x", c, k, s); printf ", 95%% interval %.3f-%.3f", s[j], s[k - j + 1] }
      printf "; %d of %d rounds ≤ 1\n", below, k
    }
  }' "$OUT/rounds.tsv"
