#!/usr/bin/env bash
# `make soak`: a long soak of densecable on loopback. Starts the benchmark RPC
# application and densecable on free ports, waits for /health, then runs the
# soak driver (bench/soak): steady subscribers that must get every broadcast,
# connection churn, periodic broadcasts and bad clients (garbage bytes,
# partial frames, command floods, never-reading clients). It prints the
# server's RSS and goroutines every SOAK_EVERY and a summary, and fails if
# the steady clients lost messages or RSS/goroutines grew after the warm-up.
#
#   make soak                          # 30 minutes
#   SOAK_DURATION=2m make soak         # a quick check
#   DENSECABLE=/path/to/densecable bench/soak.sh --steady 2000   # extra flags go to the driver
#
# Environment: SOAK_DURATION (30m), SOAK_EVERY (10s), DENSECABLE, BENCHAPP,
# SOAK_DRIVER (binaries; built from this clone when unset), SOAK_SERVER_FLAGS
# (extra densecable flags), SOAK_DIR (keep logs there instead of a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${SOAK_DURATION:-30m}"
EVERY="${SOAK_EVERY:-10s}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/densecable-soak.XXXXXX")"
LOGS="${SOAK_DIR:-$WORK}"
mkdir -p "$LOGS"

PIDS=()
# Stops what this script started, newest first (the server before the RPC
# application it calls while shutting down).
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "${DENSECABLE:-}" ]]; then
  go build -o "$WORK/densecable" ./cmd/densecable
  DENSECABLE="$WORK/densecable"
fi
if [[ -z "${BENCHAPP:-}" ]]; then
  go build -o "$WORK/benchapp" ./bench/app
  BENCHAPP="$WORK/benchapp"
fi
if [[ -z "${SOAK_DRIVER:-}" ]]; then
  go build -o "$WORK/soak" ./bench/soak
  SOAK_DRIVER="$WORK/soak"
fi

PORT="$("$SOAK_DRIVER" freeport)"
BPORT="$("$SOAK_DRIVER" freeport)"
RPCPORT="$("$SOAK_DRIVER" freeport)"

"$BENCHAPP" --grpc "127.0.0.1:$RPCPORT" --http "" --log_level warn \
  --broadcast_url "http://127.0.0.1:$BPORT/_broadcast" >"$LOGS/benchapp.log" 2>&1 &
PIDS+=($!)

# shellcheck disable=SC2086 # SOAK_SERVER_FLAGS is a list of flags
"$DENSECABLE" --host 127.0.0.1 --port "$PORT" --ignore-config-path \
  --rpc_host "127.0.0.1:$RPCPORT" --broadcast_adapter http --http_broadcast_port "$BPORT" \
  --metrics_http /metrics --stats_refresh_interval 1 ${SOAK_SERVER_FLAGS:-} >"$LOGS/densecable.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")

ready=""
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
    ready=1
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "densecable did not become healthy; its log:" >&2
  tail -n 30 "$LOGS/densecable.log" >&2
  exit 1
fi
echo "soak: densecable pid $SERVER on 127.0.0.1:$PORT for $DURATION (logs in $LOGS; set SOAK_DIR to keep them)"

status=0
"$SOAK_DRIVER" --url "ws://127.0.0.1:$PORT/cable" --broadcast-url "http://127.0.0.1:$BPORT/_broadcast" \
  --server-pid "$SERVER" --duration "$DURATION" --every "$EVERY" "$@" || status=$?

if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "densecable died during the soak; its log:" >&2
  tail -n 30 "$LOGS/densecable.log" >&2
  status=1
fi
echo "soak: server log lines by level: $(grep -oE ' (DBG|INF|WRN|ERR) ' "$LOGS/densecable.log" | sort | uniq -c | tr -s ' \n' ' ')"
if [[ -n "${SOAK_DIR:-}" ]]; then
  echo "soak: logs kept in $LOGS"
fi
exit "$status"
