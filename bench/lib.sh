# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts (sourced, not run). Every script
# starts its processes through bench_start, so the EXIT trap stops exactly
# those PIDs and nothing else; every wait polls a condition with a deadline.

BENCH_PIDS=()
BENCH_RMDIRS=()

bench_cleanup() {
  local pid dir
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    bench_wait_exit "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for dir in "${BENCH_RMDIRS[@]}"; do
    rm -rf -- "$dir"
  done
  return 0
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# bench_need_bin VAR DESCRIPTION HOW_TO_BUILD: the executable named by $VAR,
# or a clear error saying what is missing and how to get it.
bench_need_bin() {
  local var=$1 what=$2 how=$3 path=${!1:-}
  if [[ -z $path ]]; then
    bench_die "$var is not set: it must name $what.
$how"
  fi
  if [[ ! -x $path ]]; then
    bench_die "$var=$path is not an executable file ($what).
$how"
  fi
}

# bench_start LOG CMD...: start CMD in the background with its output in LOG;
# its PID is in BENCH_LAST_PID and is stopped on exit.
bench_start() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_stop PID [SECONDS]: SIGTERM, wait up to SECONDS (default 20), then
# SIGKILL. Only for PIDs this script started.
bench_stop() {
  local pid=$1 secs=${2:-20}
  kill -TERM "$pid" 2>/dev/null || true
  if ! bench_wait_exit "$pid" "$secs"; then
    echo "$(basename "$0"): PID $pid still running after ${secs}s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  bench_forget "$pid"
}

# bench_forget PID: PID has exited and was reaped; the EXIT trap must not
# signal it (the number may belong to another process by then).
bench_forget() {
  local p keep=()
  for p in "${BENCH_PIDS[@]}"; do
    [[ $p == "$1" ]] || keep+=("$p")
  done
  BENCH_PIDS=("${keep[@]}")
}

# bench_wait_exit PID SECONDS: true once PID has exited, false at the deadline.
bench_wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    # A process that exited but was not reaped yet is a zombie: done.
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.05
  done
}

bench_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# bench_wait_for PID SECONDS COMMAND...: until COMMAND succeeds; fails at the
# deadline, or early when PID exits.
bench_wait_for() {
  local pid=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# bench_wait_port PORT PID [SECONDS]: until something listens on PORT;
# fails early when PID exits.
bench_wait_port() { bench_wait_for "$2" "${3:-30}" bench_port_open "$1"; }

# bench_start_benchapp LOG RPC_PORT BCAST_PORT: the benchmark RPC application
# (gRPC on 127.0.0.1:RPC_PORT, broadcasting to densecable's HTTP broadcaster
# on BCAST_PORT), started and listening; BENCH_LAST_PID is its PID.
bench_start_benchapp() {
  bench_start "$1" bin/densecable-benchapp --grpc "127.0.0.1:$2" --http "" \
    --broadcast_url "http://127.0.0.1:$3/_broadcast" --log_level warn
  bench_wait_port "$2" "$BENCH_LAST_PID" || bench_die "benchmark app did not start, see $1"
}

# bench_http_ok http://127.0.0.1:PORT/PATH: true when GET answers 200 (curl
# when installed, else bash's /dev/tcp).
bench_http_ok() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
    return
  fi
  local rest=${1#http://} hostport path status
  hostport=${rest%%/*}
  path=/${rest#*/}
  (
    exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
    read -r -t 2 _ status _ <&3 && [[ $status == 200 ]]
  ) 2>/dev/null
}

# bench_wait_health URL PID [SECONDS]: until GET URL answers 200.
bench_wait_health() { bench_wait_for "$2" "${3:-30}" bench_http_ok "$1"; }

# bench_check_ports PORT...: refuse to run when a port is taken.
bench_check_ports() {
  local p
  for p in "$@"; do
    if bench_port_open "$p"; then
      bench_die "port $p on 127.0.0.1 is in use; choose free ports (BENCH_*_PORT)"
    fi
  done
}

# bench_open_files NEED WHAT: raise the soft open-file limit to the hard one,
# dying with a clear message when that is below NEED (WHAT says who needs it).
bench_open_files() {
  [[ $(ulimit -Hn) == unlimited || $(ulimit -Hn) -ge $1 ]] ||
    bench_die "$2 needs an open-file limit of $1; the hard limit is $(ulimit -Hn)"
  ulimit -Sn "$(ulimit -Hn)"
}

# Server process figures from /proc.
bench_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
bench_hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# CPU seconds (user + system) used so far, in clock ticks.
bench_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_CLK_TCK=$(getconf CLK_TCK)

# bench_build_densecable REV_OR_BINARY DIR NAME: prints the path of a
# densecable binary. An executable file is used as it is; anything else is a
# git revision of this repository, exported with git archive into DIR and
# built there (the working tree is not touched).
bench_build_densecable() {
  local spec=$1 dir=$2 name=$3 src
  if [[ -f $spec && -x $spec ]]; then
    echo "$spec"
    return
  fi
  git rev-parse --verify -q "$spec^{commit}" >/dev/null ||
    bench_die "$spec is neither an executable file nor a git revision of this repository"
  src="$dir/src-$name"
  mkdir -p "$src"
  git archive "$spec" | tar -x -C "$src"
  echo "$(basename "$0"): building densecable at $spec ($(git rev-parse --short "$spec"))" >&2
  (cd "$src" && go build -o "$dir/densecable-$name" ./cmd/densecable) >&2 ||
    bench_die "building $spec failed"
  rm -rf -- "$src"
  echo "$dir/densecable-$name"
}

# bench_start_server LOG HTTP_PORT BROADCAST_PORT CMD...: start a server
# (bench_start), then wait until /health answers on HTTP_PORT and, when
# BROADCAST_PORT is not empty, the broadcaster listens. Its PID is in
# SERVER_PID; dies with the log's name when it does not come up.
bench_start_server() {
  local log=$1 port=$2 bport=$3
  shift 3
  bench_start "$log" "$@"
  SERVER_PID=$BENCH_LAST_PID
  bench_wait_health "http://127.0.0.1:$port/health" "$SERVER_PID" || bench_die "server did not start, see $log"
  [[ -z $bport ]] || bench_wait_port "$bport" "$SERVER_PID" || bench_die "broadcaster did not start, see $log"
}

# bench_metric HTTP_PORT NAME: one value from the server's /metrics
# (matching NAME with or without a prefix).
bench_metric() {
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -v m="$2" '!done && ($1 ~ ("_" m "$") || $1 == m) {print $2; done = 1}'
}

# bench_broadcast_cpu HTTP_PORT BROADCAST_PORT STREAM SUBSCRIBERS BROADCASTS:
# with SUBSCRIBERS clients already on STREAM (the caller waits for them),
# publish BROADCASTS messages in one HTTP broadcast request and print the
# server's CPU (user + system) per delivery in µs and the bytes sent per
# delivery. Done when every publication arrived and the bytes sent grow by
# less than a tenth of one broadcast's in a second (pings keep them moving).
bench_broadcast_cpu() {
  local port=$1 bport=$2 stream=$3 subs=$4 n=$5 sent0 cpu0 cpu1 body prev cur i
  sent0=$(bench_metric "$port" data_sent_total)
  cpu0=$(bench_cpu_ticks "$SERVER_PID")
  body="[$(for i in $(seq 1 "$n"); do
    printf '%s{"stream":"%s","data":"{\\"event\\":\\"bench\\",\\"data\\":{\\"action\\":\\"broadcast\\",\\"n\\":%d}}"}' \
      "$([[ $i -gt 1 ]] && echo ,)" "$stream" "$i"
  done)]"
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$bport/_broadcast"
  _bench_arrived() { [[ $(bench_metric "$port" broadcast_msg_total) -ge $n ]]; }
  bench_wait_for "$SERVER_PID" 60 _bench_arrived || bench_die "publications did not arrive"
  prev=$(bench_metric "$port" data_sent_total)
  while true; do
    sleep 1
    cur=$(bench_metric "$port" data_sent_total)
    (((cur - prev) * 10 < subs * 60)) && break
    prev=$cur
  done
  cpu1=$(bench_cpu_ticks "$SERVER_PID")
  awk -v t=$((cpu1 - cpu0)) -v hz="$BENCH_CLK_TCK" -v d=$((subs * n)) -v a="$sent0" -v b="$cur" \
    'BEGIN {printf "%.2f %.0f\n", t / hz * 1e6 / d, (b - a) / d}'
}
