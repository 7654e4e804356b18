#!/usr/bin/env bash
# `make run`: the bundled demo RPC application (bench/app: BenchmarkChannel
# plus a tiny chat for any other channel) and densecable in front of it, with
# HTTP broadcasting on :8090. Needs nothing else installed. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8080}"

bin/densecable-benchapp --grpc 127.0.0.1:50051 --http "" --broadcast_url "http://127.0.0.1:8090/_broadcast" --broadcast_mode async &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT

cat <<MSG

  densecable demo
  ---------------
  WebSocket:  ws://localhost:${PORT}/cable   (Action Cable; any channel works:
              {"channel":"ChatChannel","room":"lobby"} streams from "ChatChannel:lobby")
  Broadcast:  curl -X POST localhost:8090/_broadcast -d '{"stream":"ChatChannel:lobby","data":"{\"text\":\"hi\"}"}'
  Chat:       node cmd/densecable/e2e/js/chat.js alice   (after: cd cmd/densecable/e2e/js && npm ci)
  Health:     curl localhost:${PORT}/health

MSG

bin/densecable --port "${PORT}" --rpc_host 127.0.0.1:50051 --broadcast_adapter http "$@"
