#!/usr/bin/env bash
# bench/scale.sh: more connections than one process can hold. SCALE_PROCS
# densecable processes share one port with --reuse_port (the kernel spreads
# connections) and are joined by pub/sub; SCALE_LOADGENS load-generator
# processes hold SCALE_CONNS subscribed connections from SCALE_SRC_IPS
# loopback source addresses. Then SCALE_BROADCASTS broadcasts go to every
# subscriber: deliveries counted, latency percentiles over all of them, RSS
# and CPU summed over the server processes, kernel socket memory from
# /proc/meminfo and /proc/net/sockstat. Results: docs/benchmarks.md.
#
#   SCALE_CONNS       subscribed connections (default 100000)
#   SCALE_PROCS       server processes (default 6)
#   SCALE_LOADGENS    load-generator processes (default 6)
#   SCALE_SRC_IPS     loopback source addresses from 127.0.0.2 (default: one
#                     per 16,000 connections, at least 4)
#   SCALE_BROADCASTS  broadcasts to all (default 10; one in flight at a time)
#   SCALE_PUBSUB      nats (127.0.0.1:4222) or redis (127.0.0.1:6379)
#   SCALE_PING_INTERVAL  server ping interval, s (default 3600: the CPU per
#                     delivery is the broadcasts' own)
#   SCALE_LABEL       label of the result row
#   BENCH_WS_PORT, BENCH_BROADCAST_PORT, BENCH_RPC_PORT  (32080, 32090, 32051)
#   SCALE_TIMEOUT     upper bound on the load generator's run, s (900)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CONNS="${SCALE_CONNS:-100000}"
PROCS="${SCALE_PROCS:-6}"
LOADGENS="${SCALE_LOADGENS:-6}"
SRC_IPS="${SCALE_SRC_IPS:-$(((CONNS + 15999) / 16000))}"
((SRC_IPS >= 4)) || SRC_IPS=4
BROADCASTS="${SCALE_BROADCASTS:-10}"
PUBSUB="${SCALE_PUBSUB:-nats}"
PING="${SCALE_PING_INTERVAL:-3600}"
LABEL="${SCALE_LABEL:-densecable x$PROCS reuse_port}"
WS_PORT="${BENCH_WS_PORT:-32080}"
BCAST_PORT="${BENCH_BROADCAST_PORT:-32090}"
RPC_PORT="${BENCH_RPC_PORT:-32051}"
LG_TIMEOUT="${SCALE_TIMEOUT:-900}"
BIN=bin
# Sockets a process may hold: the hard limit less what the process needs
# for itself; the kernel's spread over SO_REUSEPORT listeners is a hash, not
# a round robin, so a process may get a few hundred more than its share.
PER_SERVER_MAX=19000

# One process may raise its soft limit to the hard one; the children inherit it.
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
if ((CONNS > PROCS * PER_SERVER_MAX)); then
  bench_die "SCALE_CONNS=$CONNS > SCALE_PROCS=$PROCS x $PER_SERVER_MAX sockets per process (open-file limit $NOFILE): add processes"
fi
if ((PER_SERVER_MAX + 1000 > NOFILE)); then
  bench_die "open-file limit $NOFILE: each server process needs about $((PER_SERVER_MAX + 1000)); raise the hard limit (docs/os-tuning.md)"
fi
PER_LOADGEN=$(((CONNS + LOADGENS - 1) / LOADGENS))
if ((PER_LOADGEN > NOFILE - 200)); then
  bench_die "SCALE_CONNS=$CONNS over SCALE_LOADGENS=$LOADGENS is $PER_LOADGEN per load generator, above the open-file limit $NOFILE: add load generators"
fi
read -r PORT_LO PORT_HI </proc/sys/net/ipv4/ip_local_port_range
if ((CONNS > SRC_IPS * (PORT_HI - PORT_LO + 1) * 9 / 10)); then
  bench_die "SCALE_CONNS=$CONNS over $SRC_IPS source addresses x $((PORT_HI - PORT_LO + 1)) ephemeral ports: add SCALE_SRC_IPS"
fi
case $PUBSUB in
nats) PUBSUB_ARGS=(--pubsub nats --nats_servers nats://127.0.0.1:4222) ;;
redis) PUBSUB_ARGS=(--pubsub redis --redis_url redis://127.0.0.1:6379/0) ;;
*) bench_die "SCALE_PUBSUB=$PUBSUB: want nats or redis" ;;
esac

OUT="$(mktemp -d "${TMPDIR:-/tmp}/densecable-scale.XXXXXX")"
go build -o "$BIN/densecable" ./cmd/densecable
go build -o "$BIN/densecable-benchapp" ./bench/app
go build -o "$BIN/densecable-loadgen" ./bench/loadgen
bench_check_ports "$WS_PORT" "$BCAST_PORT" "$RPC_PORT"

# A channel of its own: other servers on the shared NATS or Redis must not
# hear these broadcasts, nor these servers theirs.
CHANNEL="densecable-scale-$$-$RANDOM"
cat >"$OUT/scale.toml" <<EOF
[nats_pubsub]
channel = "$CHANNEL"

[redis_pubsub]
channel = "$CHANNEL"
EOF

bench_start "$OUT/benchapp.log" "$BIN/densecable-benchapp" --grpc "127.0.0.1:$RPC_PORT" --http "" \
  --broadcast_url "http://127.0.0.1:$BCAST_PORT/_broadcast" --log_level warn
bench_wait_port "$RPC_PORT" "$BENCH_LAST_PID" || bench_die "benchmark app did not start, see $OUT/benchapp.log"

# The broadcast listener shares its port too: the benchmark app's broadcast
# reaches one process, whose pub/sub publication reaches them all.
PIDS=()
for i in $(seq 1 "$PROCS"); do
  bench_start "$OUT/server-$i.log" env ANYCABLE_DISABLE_TELEMETRY=true \
    "$BIN/densecable" --config-path "$OUT/scale.toml" --host 127.0.0.1 --port "$WS_PORT" --reuse_port \
    --rpc_host "127.0.0.1:$RPC_PORT" --broadcast_adapter http --http_broadcast_port "$BCAST_PORT" \
    "${PUBSUB_ARGS[@]}" --ping_interval "$PING" --log_level warn
  PIDS+=("$BENCH_LAST_PID")
done
# Each process must hold the shared port itself: a process that failed to
# bind would otherwise go unnoticed behind the others.
listening() { ss -Hltnp "sport = :$WS_PORT" | grep -q "pid=$1,"; }
for pid in "${PIDS[@]}"; do
  bench_wait_for "$pid" 30 listening "$pid" || bench_die "server $pid did not bind port $WS_PORT, see $OUT/server-*.log"
done
bench_wait_health "http://127.0.0.1:$WS_PORT/health" "${PIDS[0]}" || bench_die "servers not healthy, see $OUT/server-*.log"
bench_wait_port "$BCAST_PORT" "${PIDS[0]}" || bench_die "broadcast port $BCAST_PORT not listening, see $OUT/server-*.log"
SERVER_PIDS=$(
  IFS=,
  echo "${PIDS[*]}"
)

# Kernel memory: Slab (socket, dentry, inode and TCP objects live there) and
# the TCP socket count, and each server process's open sockets (how the
# kernel spread the connections), every 2 s until the load generator is done.
sample_kernel() {
  local pid counts
  while :; do
    counts=""
    for pid in "${PIDS[@]}"; do
      counts+=" $(find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)"
    done
    printf '%s %s %s %s%s\n' "$(date +%s)" \
      "$(awk '/^Slab:/ {print $2}' /proc/meminfo)" \
      "$(awk '/^TCP:/ {print $3, $11}' /proc/net/sockstat)" \
      "$(awk '{b[$1] = $2 * $4} END {print b["TCP"] + 0, b["sock_inode_cache"] + 0, b["filp"] + 0, b["dentry"] + 0, b["eventpoll_epi"] + 0}' /proc/slabinfo 2>/dev/null || echo 0 0 0 0 0)" \
      "$counts"
    sleep 2
  done
}
bench_start "$OUT/kernel.txt" sample_kernel
SAMPLER=$BENCH_LAST_PID
bench_wait_for "$SAMPLER" 30 test -s "$OUT/kernel.txt" || bench_die "kernel sampler did not start"

echo "scale: $CONNS connections, $PROCS server processes (pids $SERVER_PIDS), $LOADGENS load generators, $SRC_IPS source addresses, $PUBSUB; logs in $OUT" >&2
timeout "$LG_TIMEOUT" "$BIN/densecable-loadgen" broadcast --url "ws://127.0.0.1:$WS_PORT/cable" \
  --server-pids "$SERVER_PIDS" --conns "$CONNS" --per-process "$PER_LOADGEN" --src-ips "$SRC_IPS" \
  --sample-size "$BROADCASTS" --concurrent 1 --result-timeout 60s --wait 20s --timeout 120s \
  --max-pending 2000 --rss-delay 2s --rss-window 6s --settle 1s --label "$LABEL" \
  --note "$PROCS server processes, $LOADGENS load generators, $SRC_IPS source addresses, pubsub $PUBSUB" \
  --json --out "$OUT/results.jsonl" --log-level warn >/dev/null || bench_die "load generator failed, see above"
bench_stop "$SAMPLER" 5

# Kernel memory per TCP socket: growth over the TCP socket count's growth,
# from the first reading to the one with the most sockets (every connection
# has two sockets here, both ends on this host). Slab is all of the kernel's
# small objects (other processes on the host move it too); the per-cache
# figures from /proc/slabinfo are the ones a socket owns: struct tcp_sock,
# its socket inode, file, dentry and epoll item.
KERNEL=$(awk 'NR == 1 {s0 = $3; for (i = 2; i <= 9; i++) v0[i] = $i}
  $3 > smax {smax = $3; for (i = 2; i <= 9; i++) v[i] = $i}
  {n = 0; for (i = 10; i <= NF; i++) n += $i}
  n > nmax {nmax = n; spread = ""; for (i = 10; i <= NF; i++) spread = spread " " $i}
  END {
    d = smax - s0
    if (d <= 0) { print "0 0 0 0 0 0 0 0"; exit }
    # Slab kB, TCP buffer pages (4 KiB), then slab caches in bytes: all per socket, in bytes.
    printf "%d %.0f %.0f", d, (v[2] - v0[2]) * 1024 / d, (v[4] - v0[4]) * 4096 / d
    for (i = 5; i <= 9; i++) printf " %.0f", (v[i] - v0[i]) / d
    printf "%s\n", spread
  }' "$OUT/kernel.txt")
read -r SOCKS SLAB_B TCPMEM_B K_TCP K_INODE K_FILP K_DENTRY K_EPI SPREAD <<<"$KERNEL"
K_OWN=$((K_TCP + K_INODE + K_FILP + K_DENTRY + K_EPI))

jq -r --arg slab "$SLAB_B" --arg socks "$SOCKS" --arg tcpmem "$TCPMEM_B" --arg procs "$PROCS" \
  --arg own "$K_OWN" --arg parts "tcp_sock $K_TCP, sock_inode $K_INODE, filp $K_FILP, dentry $K_DENTRY, epitem $K_EPI" \
  --arg lg "$LOADGENS" --arg ips "$SRC_IPS" '
  "label:               \(.label)",
  "server processes:    \($procs); load generators: \($lg); source addresses: \($ips)",
  "subscribed:          \(.ok) of \(.conns) (failed \(.failed), dropped \(.dropped))",
  "deliveries:          \(.delivered) of \(.expected) (missing \(.lost), extra \(.extra // 0))",
  "latency p50/p95/p99: \(.p50_ms|floor) / \(.p95_ms|floor) / \(.p99_ms|floor) ms (max \(.max_ms|floor))",
  "fan-out:             \(.fanout_s*100|floor/100) s, \(.fanout_msg_per_s|floor) deliveries/s",
  "server RSS:          \(.server_rss_base_mb|floor) MB idle before, \(.server_rss_idle_mb|floor) MB with the connections: \(.kb_per_conn*100|floor/100) KB per connection",
  "server CPU:          \(.server_cpu_s*100|floor/100) s over the broadcasts: \(.server_cpu_s*1e6/.delivered*100|floor/100) µs per delivery",
  "kernel per socket:   \($own) B in its own slab objects (\($parts)); all of Slab +\($slab) B; TCP buffers \($tcpmem) B (over +\($socks) TCP sockets, both ends on this host)",
  "note:                \(.note)"' "$OUT/results.jsonl" | tee "$OUT/summary.txt"
echo "sockets per server process at their peak (the kernel's spread): $SPREAD" | tee -a "$OUT/summary.txt"
echo "results in $OUT" >&2
